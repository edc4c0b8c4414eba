/** Closed-loop (fixed concurrency) and open-loop (fixed offered rate) phases with latency percentiles. */

export interface PhaseLimits {
  /** Calls to make at most. */
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
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxLatencyMs: number;
  /** The first error's message, when there were errors. */
  readonly firstError?: string;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

/** Latencies of successful calls and a count of failed ones, preallocated so recording allocates nothing. */
export class LatencyRecorder {
  private readonly values: Float64Array;
  private count = 0;
  errors = 0;
  firstError: string | undefined;

  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(1, capacity));
  }

  ok(latencyMs: number): void {
    if (this.count < this.values.length) this.values[this.count++] = latencyMs;
  }

  fail(e: unknown): void {
    this.errors++;
    this.firstError ??= e instanceof Error ? e.message : String(e);
  }

  summarise(name: string, wallMs: number): PhaseResult {
    const sorted = this.values.subarray(0, this.count).sort();
    return {
      name,
      calls: this.count + this.errors,
      errors: this.errors,
      wallMs,
      opsPerSecond: this.count / (wallMs / 1000),
      p50Ms: percentile(sorted, 0.5),
      p90Ms: percentile(sorted, 0.9),
      p99Ms: percentile(sorted, 0.99),
      p999Ms: percentile(sorted, 0.999),
      maxLatencyMs: this.count > 0 ? sorted[this.count - 1]! : Number.NaN,
      ...(this.firstError !== undefined ? { firstError: this.firstError } : {}),
    };
  }
}

/**
 * Calls `call(i)` for i = 0..requests-1 with `concurrency` workers; each call's latency is measured with the
 * monotonic clock. A call that throws counts as an error (its latency is not in the percentiles).
 */
export async function runPhase(name: string, limits: PhaseLimits, call: (i: number) => Promise<void>): Promise<PhaseResult> {
  const recorder = new LatencyRecorder(limits.requests);
  let next = 0;
  const started = performance.now();
  const deadline = started + limits.maxMs;
  const worker = async (): Promise<void> => {
    while (next < limits.requests && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        await call(i);
        recorder.ok(performance.now() - t0);
      } catch (e) {
        recorder.fail(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limits.concurrency) }, worker));
  return recorder.summarise(name, performance.now() - started);
}

export interface OpenLoopLimits {
  /** Offered calls per second. */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** Calls in flight at most; a call due beyond it counts as an error ("overloaded"), never waits. */
  readonly maxInFlight: number;
}

/**
 * Offers calls at a fixed rate whatever the answers do: call i is due at start + i / rate and its latency is
 * measured from that intended time (so a stalled server shows as latency, not as a slower sender).
 */
export async function runOpenLoop(name: string, limits: OpenLoopLimits, call: (i: number) => Promise<void>): Promise<PhaseResult> {
  const total = Math.max(1, Math.floor((limits.ratePerSecond * limits.durationMs) / 1000));
  const intervalMs = 1000 / limits.ratePerSecond;
  const recorder = new LatencyRecorder(total);
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && started + sent * intervalMs <= now) {
      const intended = started + sent * intervalMs;
      if (pending.size >= limits.maxInFlight) {
        recorder.fail(new Error("overloaded: too many calls in flight"));
      } else {
        const p: Promise<void> = call(sent).then(
          () => recorder.ok(performance.now() - intended),
          (e: unknown) => recorder.fail(e),
        );
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      sent++;
    }
    const wait = started + sent * intervalMs - performance.now();
    await new Promise((r) => (wait > 1 ? setTimeout(r, Math.floor(wait)) : setImmediate(r)));
  }
  await Promise.all(pending);
  return recorder.summarise(name, performance.now() - started);
}
