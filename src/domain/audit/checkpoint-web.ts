/**
 * Checkpoint signatures checked with WebCrypto, for the browser console (the token module verifies with node:crypto,
 * which a browser does not have). The rules are the CHECKPOINT row of tokens/kinds.ts (typ, header members, claim
 * reader) and checkToken's order; only the signature primitive differs. A test holds both verifiers to one answer.
 */
import { ClaimFault } from "../tokens/claims/read.js";
import { MAX_TOKEN_BYTES } from "../tokens/envelope.js";
import { CHECKPOINT } from "../tokens/kinds.js";
import type { SignedCheckpoint } from "./checkpoint-jws.js";
import type { CheckpointStatement } from "./verify-export.js";

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict unpadded base64url, as the token module decodes it (non-canonical trailing bits refused). */
function decodeBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
  const again = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return again === text ? bytes : undefined;
}

function jsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The WebCrypto algorithm of a JWKS member and the JWS alg it allows (P-256 -> ES256, Ed25519 -> EdDSA). */
function algorithmOf(jwk: Record<string, unknown>) {
  if (jwk.kty === "EC" && jwk.crv === "P-256") return { alg: "ES256", params: { name: "ECDSA", namedCurve: "P-256" } } as const;
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return { alg: "EdDSA", params: { name: "Ed25519" } } as const;
  return undefined;
}

/** Like verifyCheckpointJws: the statement of a valid checkpoint, or an Error naming the fault class. */
export async function verifyCheckpointJwsWeb(jws: string, jwksJson: string): Promise<SignedCheckpoint> {
  const fail = (fault: string, detail: string): never => {
    throw new Error(`checkpoint ${fault}: ${detail}`);
  };
  const parts = jws.split(".");
  if (jws.length === 0 || jws.length > MAX_TOKEN_BYTES || parts.length !== 3) return fail("envelope", "not a compact JWS");
  const [h, p, s] = parts as [string, string, string];
  const [hb, pb, signature] = [decodeBase64url(h), decodeBase64url(p), decodeBase64url(s)];
  const header = hb === undefined ? undefined : jsonObject(hb);
  const payload = pb === undefined ? undefined : jsonObject(pb);
  if (header === undefined || payload === undefined || signature === undefined) return fail("envelope", "not a compact JWS of JSON objects");
  if (header.typ !== CHECKPOINT.typ) return fail("header", `typ must be "${CHECKPOINT.typ}"`);
  if (header.crit !== undefined) return fail("header", "crit is not supported");
  for (const member of Object.keys(header)) {
    if (member !== "alg" && member !== "typ" && !CHECKPOINT.headerMembers.includes(member)) return fail("header", `header member ${member} is not allowed`);
  }
  if (typeof header.kid !== "string") return fail("unknown_key", "kid required");
  const keys = (JSON.parse(jwksJson) as { keys?: unknown }).keys;
  const jwk = (Array.isArray(keys) ? (keys as Record<string, unknown>[]) : []).find((k) => k.kid === header.kid);
  const algorithm = jwk === undefined ? undefined : algorithmOf(jwk);
  if (jwk === undefined || algorithm === undefined) return fail("unknown_key", "no such key");
  if (header.alg !== algorithm.alg) return fail("header", `alg must be ${algorithm.alg}`);
  const publicJwk = { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), ...(jwk.y === undefined ? {} : { y: String(jwk.y) }) };
  const key = await crypto.subtle.importKey("jwk", publicJwk, algorithm.params, false, ["verify"]);
  const verifyParams = algorithm.alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
  const signingInput = new TextEncoder().encode(`${h}.${p}`);
  if (!(await crypto.subtle.verify(verifyParams, key, signature, signingInput))) return fail("signature", "signature does not verify");
  try {
    return CHECKPOINT.readClaims(payload);
  } catch (e) {
    return e instanceof ClaimFault ? fail("claims", e.message) : Promise.reject(e);
  }
}

/**
 * verifyExport's checkpoint verifier over WebCrypto and a trusted JWKS (JSON text): the statement, the signing kid
 * and that key's `revoked_at` (NumericDate seconds or RFC 3339), as trusted-keys.ts reads it on the server.
 */
export function trustedCheckpointVerifierWeb(trustedJwksJson: string): (jws: string) => Promise<CheckpointStatement> {
  const keys = (JSON.parse(trustedJwksJson) as { keys?: unknown }).keys;
  const list = Array.isArray(keys) ? (keys as Record<string, unknown>[]) : [];
  return async (jws) => {
    const claims = await verifyCheckpointJwsWeb(jws, trustedJwksJson);
    const kid = String(jsonObject(decodeBase64url(jws.split(".")[0]!)!)!.kid);
    const revoked = list.find((k) => k.kid === kid)?.revoked_at;
    const revokedAtMs = typeof revoked === "number" ? revoked * 1000 : typeof revoked === "string" ? Date.parse(revoked) : undefined;
    return revokedAtMs === undefined || Number.isNaN(revokedAtMs) ? { claims, kid } : { claims, kid, revokedAtMs };
  };
}
