/** The trust module's public face: the model (state, score, reports), the one TrustScorer, telemetry reports. */
export * from "./state.js";
export * from "./score.js";
export * from "./report.js";
export * from "./source.js";
export { TrustScorer, type ScoredAgent } from "./scorer.js";
export { decodeTrustState, encodeTrustState } from "./state-codec.js";
export { TelemetryService, type TelemetryReportInput, type TelemetryServiceDeps } from "./telemetry-service.js";
