/** The proof acceptance window (max age, future skew) and what follows from it: nonce lifetime, restart window. */

/** PROOF_MAX_AGE_SECONDS and PROOF_FUTURE_SKEW_SECONDS. */
export interface ProofWindow {
  /** A proof whose iat is older than this is stale. */
  readonly maxAgeSeconds: number;
  /** A proof whose iat is further ahead of our clock than this is refused (the agent's clock runs ahead). */
  readonly futureSkewSeconds: number;
}

/** True when a proof dated iatSeconds is acceptable at nowMs: at most maxAge old, at most futureSkew ahead. */
export function withinProofWindow(iatSeconds: number, nowMs: number, window: ProofWindow): boolean {
  const ageMs = nowMs - iatSeconds * 1000;
  return ageMs <= window.maxAgeSeconds * 1000 && -ageMs <= window.futureSkewSeconds * 1000;
}

/**
 * How long a consumed nonce must be remembered. A proof consumed at t has iat <= t + futureSkew and stays
 * acceptable until iat + maxAge, so at most maxAge + futureSkew after t; one extra second absorbs rounding.
 */
export function nonceTtlMsForWindow(window: ProofWindow): number {
  return (window.maxAgeSeconds + window.futureSkewSeconds) * 1000 + 1000;
}

/**
 * After the replay store restarted empty at epoch E, any proof consumed before E carries iat <= E + futureSkew,
 * so exactly those proofs are refused (ReplayGate epochGraceMs). Fresh proofs made after that verify again:
 * the restart window lasts futureSkew seconds, not the whole acceptance window.
 */
export function epochGraceMsFor(window: ProofWindow): number {
  return window.futureSkewSeconds * 1000;
}

/** The end of the restart window of an epoch: proofs dated up to this instant are refused. */
export function restartWindowEndMs(epochMs: number, window: ProofWindow): number {
  return epochMs + epochGraceMsFor(window);
}
