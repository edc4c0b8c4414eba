/** Replay-store policy shared by the adapters: the nonce lifetime of a proof window, and GCRA rate limiting. */

/** Nonce TTL for a proof window: a proof is acceptable from iat - futureSkew until iat + maxAge, so its
 * nonce must outlive that span; one extra second absorbs rounding. */
export function nonceTtlMsFor(maxAgeSeconds: number, futureSkewSeconds = maxAgeSeconds): number {
  return (maxAgeSeconds + futureSkewSeconds) * 1000 + 1000;
}

/** GCRA on a theoretical arrival time `tat`: the decision and the new tat (burst = limit per minute). */
export function gcra(
  storedTat: number | undefined,
  nowMs: number,
  limitPerMinute: number,
): { allowed: true; newTat: number } | { allowed: false; retryAfterMs: number } {
  const interval = 60_000 / limitPerMinute;
  const live = Math.max(storedTat ?? nowMs, nowMs);
  // live <= now + 60 s always holds while time moves forward. Beyond it the clock was stepped back, which would
  // refuse the caller for the length of the step: treat the burst as used up but for this one request.
  const tat = live > nowMs + 60_000 ? nowMs + 60_000 - interval : live;
  const newTat = tat + interval;
  const allowAt = newTat - 60_000;
  if (nowMs < allowAt) return { allowed: false, retryAfterMs: Math.ceil(allowAt - nowMs) };
  return { allowed: true, newTat };
}
