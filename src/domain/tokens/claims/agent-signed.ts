/** Claims of the tokens an agent signs: proof, handshake and possession proof (docs/proof-format.md), readers and builders. */
import { ClaimFault, CURRENCY_PATTERN, JTI_PATTERN, matching, optionalStr, scopeList, seconds, SCOPE_PATTERN, SHA256_B64URL, str } from "./read.js";

/** Most scopes one handshake may request. */
export const MAX_REQUESTED_SCOPES = 64;

/** The replay claims every proof-like token carries. */
export interface ReplayClaims {
  readonly jti: string;
  /** Seconds since the Unix epoch. */
  readonly iat: number;
  readonly aud: string;
  /** base64url SHA-256 of the presented credential or session token (renewal: of the agent id). */
  readonly ath: string;
}

export interface ProofClaims extends ReplayClaims {
  readonly scope: string;
  readonly op: string;
  /** Integer minor units, >= 0. */
  readonly amt: number;
  /** ISO 4217, or "" when amt is 0 and no currency applies. */
  readonly cur: string;
}

export interface HandshakeClaims extends ReplayClaims {
  readonly scopes: readonly string[];
}

export type PossessionOp = "agent.register" | "agent.rotate_key";

export interface PossessionClaims {
  readonly op: string;
  readonly aud: string;
  readonly org_id?: string;
  readonly agent_id?: string;
  /** RFC 7638 thumbprint of the key that signed it. */
  readonly jkt: string;
  readonly iat: number;
}

function readReplay(p: Readonly<Record<string, unknown>>): ReplayClaims {
  return {
    jti: matching(p, "jti", JTI_PATTERN, "must be 22..128 base64url characters"),
    iat: seconds(p, "iat"),
    aud: str(p, "aud"),
    ath: matching(p, "ath", SHA256_B64URL, "must be a base64url SHA-256"),
  };
}

export function readProofClaims(p: Readonly<Record<string, unknown>>): ProofClaims {
  const base = readReplay(p);
  const scope = matching(p, "scope", SCOPE_PATTERN, "must match [A-Za-z0-9._:/-]{1,128}");
  const op = matching(p, "op", SCOPE_PATTERN, "must match [A-Za-z0-9._:/-]{1,128}");
  const amt = p.amt;
  if (typeof amt !== "number" || !Number.isSafeInteger(amt) || amt < 0) {
    throw new ClaimFault("amt", "must be a non-negative safe integer (minor units)");
  }
  const cur = p.cur;
  if (typeof cur !== "string" || !(CURRENCY_PATTERN.test(cur) || (cur === "" && amt === 0))) {
    throw new ClaimFault("cur", "must be an ISO 4217 code (empty only when amt is 0)");
  }
  return { ...base, scope, op, amt, cur };
}

export function readHandshakeClaims(p: Readonly<Record<string, unknown>>): HandshakeClaims {
  return { ...readReplay(p), scopes: scopeList(p, "scopes", MAX_REQUESTED_SCOPES) };
}

export function readPossessionClaims(p: Readonly<Record<string, unknown>>): PossessionClaims {
  const orgId = optionalStr(p, "org_id");
  const agentId = optionalStr(p, "agent_id");
  return {
    op: str(p, "op"),
    aud: str(p, "aud"),
    ...(orgId === undefined ? {} : { org_id: orgId }),
    ...(agentId === undefined ? {} : { agent_id: agentId }),
    jkt: str(p, "jkt"),
    iat: seconds(p, "iat"),
  };
}

/** Proof claims in the documented order (jti, iat, aud, scope, op, amt, cur, ath): the bytes the vectors pin. */
export function proofClaims(c: ProofClaims): ProofClaims {
  return { jti: c.jti, iat: c.iat, aud: c.aud, scope: c.scope, op: c.op, amt: c.amt, cur: c.cur, ath: c.ath };
}

/** Handshake claims in the documented order (jti, iat, aud, scopes, ath). */
export function handshakeClaims(c: HandshakeClaims): HandshakeClaims {
  return { jti: c.jti, iat: c.iat, aud: c.aud, scopes: [...c.scopes], ath: c.ath };
}

/** Possession-proof claims in the documented order (op, aud, org_id, agent_id?, jkt, iat). */
export function possessionClaims(c: PossessionClaims): PossessionClaims {
  return {
    op: c.op,
    aud: c.aud,
    ...(c.org_id === undefined ? {} : { org_id: c.org_id }),
    ...(c.agent_id === undefined ? {} : { agent_id: c.agent_id }),
    jkt: c.jkt,
    iat: c.iat,
  };
}
