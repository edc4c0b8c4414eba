/** The replay/rate-limit gate port: state-version check, per-caller and per-agent limits and nonce, in one step. */

export interface AdmitRequest {
  /** The calling relying party's identity (mTLS peer), never a client-chosen header. */
  readonly callerKey: string;
  readonly agentId: string;
  readonly jti: string;
  /** The state version the caller's cached agent state carries. */
  readonly agentStateVersion: number;
  readonly callerLimitPerMinute: number;
  readonly agentLimitPerMinute: number;
  /** Nonce lifetime: the whole acceptance window (see nonceTtlMsForWindow). */
  readonly nonceTtlMs: number;
  /** The proof's iat in milliseconds. */
  readonly proofIatMs: number;
  /** Proofs with iat <= epoch + epochGraceMs are refused (before_epoch); the future skew (epochGraceMsFor). */
  readonly epochGraceMs: number;
  readonly nowMs: number;
}

export type AdmitOutcome =
  | { readonly outcome: "admitted" }
  | { readonly outcome: "replay" }
  | { readonly outcome: "rate_limited"; readonly scope: "caller" | "agent"; readonly retryAfterMs: number }
  /** currentVersion undefined: the store does not know the agent's version (reload, then setAgentVersion). */
  | { readonly outcome: "stale_state"; readonly currentVersion: number | undefined }
  | { readonly outcome: "before_epoch" };

/**
 * One atomic step. The epoch record is created first when missing (the first contact after the store came
 * back empty starts it). Then, in this order: (1) the agent's stored state version must equal agentStateVersion (a missing
 * version is stale); (2) the store epoch must precede proofIatMs - epochGraceMs; (3)
 * the per-caller and per-agent limits (GCRA, burst = one minute's quota) must both allow the request; (4)
 * only then both limits are charged and (agentId, jti) is consumed with SET NX PX nonceTtlMs. A refused
 * request (stale, before epoch, rate limited) changes nothing; a replay has been charged to the limits.
 * Store failures throw DomainError "unavailable" (fail closed).
 */
export interface ReplayGate {
  admit(request: AdmitRequest): Promise<AdmitOutcome>;
  /**
   * Creates the store's epoch at `epochMs` unless one exists (SET NX); returns the epoch in force. Called at
   * start-up with an epoch in the past when the audit log proves that no proof was consumed within the last
   * window (a fresh deployment), so a clean start does not refuse fresh proofs for a window.
   */
  initEpoch(epochMs: number): Promise<number>;
  /** Records an agent's state version after commit; never lowers a stored version. */
  setAgentVersion(agentId: string, version: number): Promise<void>;
  /** Stores a single-use value (handshake session proposal) for ttlMs. */
  putProposal(id: string, value: string, ttlMs: number): Promise<void>;
  /** Returns and deletes a stored proposal (undefined when missing or expired). */
  takeProposal(id: string): Promise<string | undefined>;
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
