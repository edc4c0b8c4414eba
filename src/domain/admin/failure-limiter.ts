/** An in-process sliding window of failed attempts per key (peer identity), for admin API key guessing. */
import type { Clock } from "../clock.js";

interface FailureLimiterOptions {
  /** Failures allowed within the window; the next attempt is refused until the oldest leaves it. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Bound on tracked keys; the least recently failing keys are forgotten first beyond it. */
  readonly maxKeys?: number;
}

/**
 * Tracks failures per key. Once `maxFailures` fall within `windowMs`, every attempt (even a correct one) is
 * refused until enough of them age out, so a guesser learns nothing while limited. State is per process.
 */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #maxKeys: number;

  constructor(
    private readonly clock: Clock,
    private readonly options: FailureLimiterOptions,
  ) {
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds until `key` may try again, or undefined when it may try now. */
  retryAfterMs(key: string): number | undefined {
    const recent = this.#recent(key);
    if (recent.length < this.options.maxFailures) return undefined;
    const freesAt = recent[recent.length - this.options.maxFailures]! + this.options.windowMs;
    return Math.max(1, freesAt - this.clock.nowMs());
  }

  recordFailure(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.clock.nowMs());
    this.#failures.delete(key); // re-insert: Map order = least recently failing first
    this.#failures.set(key, recent);
    if (this.#failures.size > this.#maxKeys) this.#evict();
  }

  #recent(key: string): number[] {
    const cutoff = this.clock.nowMs() - this.options.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > cutoff);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    return recent;
  }

  #evict(): void {
    const cutoff = this.clock.nowMs() - this.options.windowMs;
    for (const [key, times] of this.#failures) if (times.every((t) => t <= cutoff)) this.#failures.delete(key);
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= this.#maxKeys) break;
      this.#failures.delete(key);
    }
  }
}
