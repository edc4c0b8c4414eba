/** Coarse per-caller token bucket, per replica, in front of any signature check (so a flood cannot buy crypto). */
import type { Clock } from "../clock.js";
import { DomainError } from "../errors.js";

export interface CallerGuardOptions {
  /** The stable error code of a refusal (default "verify.caller_guard"). */
  readonly code?: string;
  /** Sustained requests per second per caller on this replica. */
  readonly perSecond: number;
  /** Bucket size (burst). */
  readonly burst: number;
  /** Most callers tracked (least recently seen dropped, i.e. refilled); default 10 000. */
  readonly maxCallers?: number;
}

/**
 * The guard is deliberately per replica and looser than the global limit in the Redis gate: it only bounds
 * how much signature work one caller can make one replica do. Default sizing (see guardOptionsFor): twice
 * the global per-caller rate, burst of one minute's quota (at least 20).
 */
export class CallerGuard {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly maxCallers: number;

  constructor(
    private readonly clock: Clock,
    private readonly options: CallerGuardOptions,
  ) {
    this.maxCallers = options.maxCallers ?? 10_000;
  }

  /** Takes one token for the caller, or throws resource_exhausted with retryAfterMs. */
  take(caller: string): void {
    const now = this.clock.nowMs();
    const { perSecond, burst } = this.options;
    const bucket = this.buckets.get(caller) ?? { tokens: burst, atMs: now };
    this.buckets.delete(caller);
    // A clock stepped back counts as no time passed (not as negative refill that would lock the caller out).
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.atMs) / 1000) * perSecond);
    bucket.atMs = now;
    this.buckets.set(caller, bucket);
    if (this.buckets.size > this.maxCallers) {
      const oldest = this.buckets.keys().next();
      if (oldest.done !== true) this.buckets.delete(oldest.value);
    }
    if (bucket.tokens < 1) {
      const retryAfterMs = Math.ceil(((1 - bucket.tokens) / perSecond) * 1000);
      throw new DomainError("resource_exhausted", this.options.code ?? "verify.caller_guard", "too many requests", {
        retryAfterMs,
      });
    }
    bucket.tokens -= 1;
  }
}

/** Guard sizing from the global per-caller limit per minute. */
export function guardOptionsFor(callerLimitPerMinute: number): CallerGuardOptions {
  return { perSecond: (2 * callerLimitPerMinute) / 60, burst: Math.max(20, callerLimitPerMinute) };
}
