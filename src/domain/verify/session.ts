/** Session tokens (typ "agent-session+jwt"): issued from a consumed proposal, checked in place of a credential. */
import { compactVerify, decodeProtectedHeader, SignJWT } from "jose";
import type { RefusalCode } from "./reasons.js";
import type { SessionKeys } from "./session-keys.js";
import { isScope } from "./syntax.js";

export const SESSION_TYP = "agent-session+jwt";

export interface SessionClaims {
  readonly agentId: string;
  readonly orgId: string;
  readonly sid: string;
  /** The relying party the session was created for (aud). */
  readonly audience: string;
  readonly scopes: readonly string[];
  /** cnf.jkt: the agent key thumbprint at creation. */
  readonly jkt: string;
  /** The manifest hash at creation (claim "cap"); a capability update retires the session. */
  readonly capHash: string;
  readonly iatSeconds: number;
  readonly expSeconds: number;
}

/** Signs a session token: iss, aud, sub, sid, org_id, scopes, cnf.jkt, cap, iat, exp; header typ and kid. */
export function signSessionToken(keys: SessionKeys, issuer: string, c: SessionClaims): Promise<string> {
  return new SignJWT({ sid: c.sid, org_id: c.orgId, scopes: [...c.scopes], cnf: { jkt: c.jkt }, cap: c.capHash })
    .setProtectedHeader({ alg: keys.alg, typ: SESSION_TYP, kid: keys.kid })
    .setIssuer(issuer)
    .setAudience(c.audience)
    .setSubject(c.agentId)
    .setIssuedAt(c.iatSeconds)
    .setExpirationTime(c.expSeconds)
    .sign(keys.privateKey);
}

export type SessionCheck =
  | { readonly ok: true; readonly claims: SessionClaims }
  | { readonly ok: false; readonly reason: RefusalCode };

function str(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}

/**
 * Checks a session token for the calling relying party: typ/alg/kid (wrong_token_type), signature
 * (bad_signature), iss (wrong_token_type), exp (expired), aud = the caller (audience_mismatch).
 */
export async function checkSessionToken(
  keys: SessionKeys,
  issuer: string,
  token: string,
  caller: string,
  nowMs: number,
): Promise<SessionCheck> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: "wrong_token_type" };
  }
  if (header.typ !== SESSION_TYP || header.alg !== keys.alg || header.crit !== undefined) {
    return { ok: false, reason: "wrong_token_type" };
  }
  if (header.kid !== keys.kid) return { ok: false, reason: "bad_signature" };
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, keys.publicKey, { algorithms: [keys.alg] });
    const parsed: unknown = JSON.parse(new TextDecoder().decode(verified.payload));
    if (typeof parsed !== "object" || parsed === null) return { ok: false, reason: "bad_signature" };
    payload = parsed as Record<string, unknown>;
  } catch {
    return { ok: false, reason: "bad_signature" };
  }
  const { iss, aud, sub, sid, org_id, scopes, cnf, cap, iat, exp } = payload;
  const jkt = typeof cnf === "object" && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined;
  if (
    iss !== issuer ||
    !str(aud) ||
    !str(sub) ||
    !str(sid) ||
    !str(org_id) ||
    !str(jkt) ||
    !str(cap) ||
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    !Array.isArray(scopes) ||
    !scopes.every((s): s is string => typeof s === "string" && isScope(s))
  ) {
    return { ok: false, reason: "wrong_token_type" };
  }
  if (exp * 1000 <= nowMs) return { ok: false, reason: "expired" };
  if (aud !== caller) return { ok: false, reason: "audience_mismatch" };
  return {
    ok: true,
    claims: { agentId: sub, orgId: org_id, sid, audience: aud, scopes, jkt, capHash: cap, iatSeconds: iat, expSeconds: exp },
  };
}
