/** Wires the Verify path's metric callbacks (a domain port) to the prom-client metrics. */
import type { VerifyMetrics } from "../domain/verify/index.js";
import type { Metrics } from "./metrics.js";

export function verifyMetricsOf(metrics: Metrics): VerifyMetrics {
  return {
    verifyResult(result, reason, durationSeconds) {
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
