/** Session tokens (typ "agent-session+jwt"): signed from a consumed proposal, checked in place of a credential. */
import type { Clock } from "../clock.js";
import { answerFault, checkToken, SESSION, signToken, type SessionClaims } from "../tokens/index.js";
import type { RefusalCode } from "./reasons.js";
import type { SessionKeys } from "./session-keys.js";

export type SessionCheck = { readonly ok: true; readonly claims: SessionClaims } | { readonly ok: false; readonly reason: RefusalCode };

export class SessionTokens {
  constructor(
    private readonly keys: SessionKeys,
    /** ISSUER_URL: the sessions' iss. */
    private readonly issuer: string,
    private readonly clock: Clock,
  ) {}

  /** Signs a session token with claims in the order iss, aud, sub, sid, org_id, scopes, cnf, cap, iat, exp. */
  sign(c: Omit<SessionClaims, "iss">): Promise<string> {
    return signToken(SESSION, this.keys.signer, {
      iss: this.issuer,
      aud: c.aud,
      sub: c.sub,
      sid: c.sid,
      org_id: c.org_id,
      scopes: [...c.scopes],
      cnf: { jkt: c.cnf.jkt },
      cap: c.cap,
      iat: c.iat,
      exp: c.exp,
    });
  }

  /**
   * Checks a session token for the calling relying party: the token table's faults (envelope faults throw
   * invalid_argument on session_token), iss (wrong_token_type), exp (expired), aud = the caller (audience_mismatch).
   */
  check(token: string, caller: string): SessionCheck {
    const keys = this.keys;
    const checked = checkToken(SESSION, token, (kid) => (kid === keys.kid ? keys.verification : undefined));
    if (!checked.ok) return { ok: false, reason: answerFault(SESSION, checked, "session_token") };
    const c = checked.claims;
    if (c.iss !== this.issuer) return { ok: false, reason: "wrong_token_type" };
    if (c.exp * 1000 <= this.clock.nowMs()) return { ok: false, reason: "expired" };
    if (c.aud !== caller) return { ok: false, reason: "audience_mismatch" };
    return { ok: true, claims: c };
  }
}
