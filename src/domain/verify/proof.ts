/** The agent proof (typ "agent-proof+jwt"): signature with the stored key, claims, window, ath, audience, request. */
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import type { AgentPublicJwk } from "../model.js";
import { invalidField } from "../errors.js";
import { withinProofWindow, type ProofWindow } from "./proof-window.js";
import type { RefusalCode } from "./reasons.js";
import { JTI_PATTERN, isCurrency, isScope, tokenHash } from "./syntax.js";

export const PROOF_TYP = "agent-proof+jwt";

export type AgentAlg = "ES256" | "EdDSA";

/** The only alg accepted for a stored key: P-256 -> ES256, Ed25519 -> EdDSA (never from the token). */
export function algForKey(jwk: AgentPublicJwk): AgentAlg {
  return jwk.kty === "EC" ? "ES256" : "EdDSA";
}

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;
const importedKeys = new WeakMap<AgentPublicJwk, Promise<VerifyKey>>();

/** The imported verification key of a stored JWK, memoised per JWK object (cached agent states keep theirs). */
export function verificationKey(jwk: AgentPublicJwk): Promise<VerifyKey> {
  let key = importedKeys.get(jwk);
  if (key === undefined) {
    key = importJWK({ ...jwk }, algForKey(jwk));
    importedKeys.set(jwk, key);
  }
  return key;
}

/** The outcome of checking a JWS signed by an agent key: its payload, or a refusal. */
export type SignedByAgent =
  | { readonly ok: true; readonly payload: Record<string, unknown> }
  | { readonly ok: false; readonly reason: RefusalCode };

/**
 * Checks header `typ` and `alg` (allow-list of one, from the stored key) and the signature of a compact JWS
 * signed by an agent key. A token of another typ, alg "none", HS256 or any alg other than the key's is
 * "wrong_token_type"; a signature that does not verify is "bad_signature". Malformed envelopes throw
 * invalid_argument naming `field`.
 */
export async function verifyAgentJws(
  token: string,
  jwk: AgentPublicJwk,
  expectedTyp: string,
  field: string,
): Promise<SignedByAgent> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalidField("verify.malformed_token", field, "malformed protected header");
  }
  const alg = algForKey(jwk);
  if (header.typ !== expectedTyp || header.alg !== alg || header.crit !== undefined) {
    return { ok: false, reason: "wrong_token_type" };
  }
  let payloadBytes: Uint8Array;
  try {
    const verified = await compactVerify(token, await verificationKey(jwk), { algorithms: [alg] });
    payloadBytes = verified.payload;
  } catch {
    return { ok: false, reason: "bad_signature" };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payloadBytes));
  } catch {
    throw invalidField("verify.malformed_token", field, "payload is not a JSON object");
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw invalidField("verify.malformed_token", field, "payload is not a JSON object");
  }
  return { ok: true, payload: payload as Record<string, unknown> };
}

/** The claims of a proof, after their types and syntax were checked. */
export interface ProofClaims {
  readonly jti: string;
  /** Seconds since the Unix epoch. */
  readonly iat: number;
  readonly aud: string;
  readonly scope: string;
  readonly op: string;
  /** Integer minor units, >= 0. */
  readonly amt: number;
  /** ISO 4217, or "" when amt is 0 and no currency applies. */
  readonly cur: string;
  readonly ath: string;
}

function claimFault(field: string, claim: string, description: string): never {
  throw invalidField("verify.malformed_proof", field, `claim ${claim} ${description}`);
}

/** Reads the common replay claims (jti, iat, aud) of any agent-signed token. */
export function readReplayClaims(
  payload: Record<string, unknown>,
  field: string,
): { jti: string; iat: number; aud: string; ath: string } {
  const { jti, iat, aud, ath } = payload;
  if (typeof jti !== "string" || !JTI_PATTERN.test(jti)) claimFault(field, "jti", "must be 22..128 base64url characters");
  if (typeof iat !== "number" || !Number.isSafeInteger(iat) || iat < 0) claimFault(field, "iat", "must be integer seconds");
  if (typeof aud !== "string" || aud.length === 0 || aud.length > 512) claimFault(field, "aud", "must be a non-empty string");
  if (typeof ath !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(ath)) claimFault(field, "ath", "must be a base64url SHA-256");
  return { jti, iat, aud, ath };
}

/** Reads and checks the claim types and syntax of a proof payload (faults are invalid_argument on `field`). */
export function readProofClaims(payload: Record<string, unknown>, field = "proof"): ProofClaims {
  const base = readReplayClaims(payload, field);
  const { scope, op, amt, cur } = payload;
  if (typeof scope !== "string" || !isScope(scope)) claimFault(field, "scope", "must match [A-Za-z0-9._:/-]{1,128}");
  if (typeof op !== "string" || !isScope(op)) claimFault(field, "op", "must match [A-Za-z0-9._:/-]{1,128}");
  if (typeof amt !== "number" || !Number.isSafeInteger(amt) || amt < 0) {
    claimFault(field, "amt", "must be a non-negative safe integer (minor units)");
  }
  if (typeof cur !== "string" || !(isCurrency(cur) || (cur === "" && amt === 0))) {
    claimFault(field, "cur", "must be an ISO 4217 code (empty only when amt is 0)");
  }
  return { ...base, scope, op, amt, cur };
}

/** What the relying party expects and who it is. */
export interface ProofExpectation {
  /** The presented credential or session token (ath must be its hash). */
  readonly presentedToken: string;
  /** The calling relying party's identity plus the audiences configured for it. */
  readonly audiences: readonly string[];
  readonly scope: string;
  readonly operation: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly nowMs: number;
  readonly window: ProofWindow;
}

/**
 * Checks a proof's claims against the expectation, in this order: iat window (stale_proof), ath
 * (credential_mismatch), aud (audience_mismatch), signed scope/op/amt/cur (request_mismatch).
 */
export function checkProofClaims(claims: ProofClaims, expect: ProofExpectation): RefusalCode | undefined {
  if (!withinProofWindow(claims.iat, expect.nowMs, expect.window)) return "stale_proof";
  if (claims.ath !== tokenHash(expect.presentedToken)) return "credential_mismatch";
  if (!expect.audiences.includes(claims.aud)) return "audience_mismatch";
  if (
    claims.scope !== expect.scope ||
    claims.op !== expect.operation ||
    BigInt(claims.amt) !== expect.amountMinor ||
    claims.cur !== expect.currency
  ) {
    return "request_mismatch";
  }
  return undefined;
}

/** A proof that passed signature, typ, window, ath, audience and request checks. */
export type ProofCheck =
  | { readonly ok: true; readonly claims: ProofClaims }
  | { readonly ok: false; readonly reason: RefusalCode };

/** All proof checks against the agent's stored key: signature, typ, then checkProofClaims. */
export async function checkProof(proof: string, jwk: AgentPublicJwk, expect: ProofExpectation): Promise<ProofCheck> {
  const signed = await verifyAgentJws(proof, jwk, PROOF_TYP, "proof");
  if (!signed.ok) return signed;
  const claims = readProofClaims(signed.payload);
  const refusal = checkProofClaims(claims, expect);
  return refusal === undefined ? { ok: true, claims } : { ok: false, reason: refusal };
}
