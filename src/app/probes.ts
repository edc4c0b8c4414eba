/** The readiness probe timing of the dependencies (Postgres, Redis): how often, and how long an answer may take. */
import type { Config } from "../config/types.js";
import type { ProofWindow } from "../domain/verify/index.js";
import type { ProbeOptions } from "../server/health-registry.js";

/** A dependency that takes longer than this to answer a probe is not ready (a stalled Postgres answers nothing). */
export const DEPENDENCY_PROBE_TIMEOUT_MS = 2_000;

/** The proof time window (PROOF_MAX_AGE_SECONDS, PROOF_FUTURE_SKEW_SECONDS) every proof-checking module uses. */
export function proofWindowOf(config: Config): ProofWindow {
  return { maxAgeSeconds: config.verify.proofMaxAgeSeconds, futureSkewSeconds: config.verify.proofFutureSkewSeconds };
}

export function dependencyProbe(config: Config): ProbeOptions {
  return { intervalMs: config.health.dependencyProbeIntervalSeconds * 1000, timeoutMs: DEPENDENCY_PROBE_TIMEOUT_MS };
}
