/** Wires the Verify path's metric callbacks (a domain port) to the prom-client metrics and their label values. */
import type { VerifyMetrics } from "../domain/verify/index.js";
import type { Metrics, VerifyResultLabel } from "./metrics.js";

/** The domain's outcome as the `result` label: a valid decision is a success; a refusal or an error, a failure. */
export function verifyResultLabel(outcome: "valid" | "invalid" | "error"): VerifyResultLabel {
  return outcome === "valid" ? "success" : "failure";
}

export function verifyMetricsOf(metrics: Metrics): VerifyMetrics {
  return {
    verifyResult(outcome, reason, durationSeconds) {
      const result = verifyResultLabel(outcome);
      metrics.verifyTotal.inc({ result, reason });
      metrics.verifyDurationSeconds.observe({ result }, durationSeconds);
    },
    replayDenied() {
      metrics.replayDenialsTotal.inc();
    },
    rateLimited(endpoint) {
      metrics.rateLimitHitsTotal.inc({ endpoint });
    },
  };
}
