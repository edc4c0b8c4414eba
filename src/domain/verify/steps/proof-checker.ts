/**
 * Step 5: the agent-signed proof or handshake (ProofChecker): the token table's checks with the agent's stored
 * key (signature, typ, alg), then the window, ath and audience. The proof-format test vectors run this.
 */
import { answerFault, checkToken, TokenHashMemo, verificationKey, type ReplayClaims, type TokenKind } from "../../tokens/index.js";
import type { RefusalCode } from "../reasons.js";
import type { AgentState } from "../../agents/index.js";

/** How far a proof's iat may lie in the past and in the future (PROOF_* settings). */
export interface ProofWindow {
  readonly maxAgeSeconds: number;
  readonly futureSkewSeconds: number;
}

/** True when iat (seconds) is at most maxAge old and at most futureSkew ahead of now. */
export function withinWindow(iatSeconds: number, nowMs: number, window: ProofWindow): boolean {
  const ageMs = nowMs - iatSeconds * 1000;
  return ageMs <= window.maxAgeSeconds * 1000 && -ageMs <= window.futureSkewSeconds * 1000;
}

/** What every proof-like token must match: the presented token (ath) and the caller's audiences. */
export interface ProofBinding {
  /** The token whose hash ath must be (credential, session token; the agent id for renewals). */
  readonly boundTo: string;
  readonly audiences: readonly string[];
  readonly nowMs: number;
}

export type ProofResult<C> =
  | { readonly ok: true; readonly claims: C }
  /** jti is set once the claims were read (the decision records it). */
  | { readonly ok: false; readonly reason: RefusalCode; readonly jti?: string; readonly claims?: C };

export class ProofChecker {
  /** tokenHash by presented token: a credential is presented with many proofs, hashed once. */
  private readonly hashes = new TokenHashMemo();

  constructor(private readonly window: ProofWindow) {}

  /**
   * Checks `token` of `kind` against the agent's current key, then in this order: iat window (stale_proof),
   * ath (credential_mismatch), aud (audience_mismatch). Envelope and claim faults throw invalid_argument
   * naming `field`.
   */
  check<C extends ReplayClaims>(kind: TokenKind<C>, token: string, field: string, state: AgentState, binding: ProofBinding): ProofResult<C> {
    const key = verificationKey(state.publicJwk);
    const checked = checkToken(kind, token, () => key);
    if (!checked.ok) return { ok: false, reason: answerFault(kind, checked, field) };
    const claims = checked.claims;
    const refuse = (reason: RefusalCode): ProofResult<C> => ({ ok: false, reason, jti: claims.jti, claims });
    if (!withinWindow(claims.iat, binding.nowMs, this.window)) return refuse("stale_proof");
    if (claims.ath !== this.hashes.hashOf(binding.boundTo)) return refuse("credential_mismatch");
    if (!binding.audiences.includes(claims.aud)) return refuse("audience_mismatch");
    return { ok: true, claims };
  }
}
