/** The readiness probe timing of the dependencies (Postgres, Redis): how often, and how long an answer may take. */
import type { Config } from "../config/types.js";
import type { ProbeOptions } from "../server/health-registry.js";

/** A dependency that takes longer than this to answer a probe is not ready (a stalled Postgres answers nothing). */
export const DEPENDENCY_PROBE_TIMEOUT_MS = 2_000;

export function dependencyProbe(config: Config): ProbeOptions {
  return { intervalMs: config.health.dependencyProbeIntervalSeconds * 1000, timeoutMs: DEPENDENCY_PROBE_TIMEOUT_MS };
}
