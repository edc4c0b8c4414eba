/** Runs a bounded number of calls with fixed concurrency and summarises throughput and latency percentiles. */

export interface PhaseLimits {
  /** Calls to make. */
  readonly requests: number;
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Stop starting new calls after this long (the phase then reports fewer calls). */
  readonly maxMs: number;
}

export interface PhaseResult {
  readonly name: string;
  readonly calls: number;
  readonly errors: number;
  readonly wallMs: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxLatencyMs: number;
  /** The first error's message, when there were errors. */
  readonly firstError?: string;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * Calls `call(i)` for i = 0..requests-1 with `concurrency` workers; each call's latency is measured with the
 * monotonic clock. A call that throws counts as an error (its latency is not in the percentiles).
 */
export async function runPhase(name: string, limits: PhaseLimits, call: (i: number) => Promise<void>): Promise<PhaseResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = started + limits.maxMs;
  const worker = async (): Promise<void> => {
    while (next < limits.requests && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        await call(i);
        latencies.push(performance.now() - t0);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limits.concurrency) }, worker));
  const wallMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    name,
    calls: latencies.length + errors,
    errors,
    wallMs,
    opsPerSecond: latencies.length / (wallMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxLatencyMs: latencies.at(-1) ?? Number.NaN,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
