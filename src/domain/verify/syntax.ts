/** Input bounds and syntax shared by the Verify path, handshakes, sessions and proofs. */
import { createHash } from "node:crypto";

/** Largest accepted token (credential, session token, proof, handshake): 8 KiB of ASCII. */
export const MAX_TOKEN_BYTES = 8 * 1024;

/** Scope and operation syntax: 1..128 characters of [A-Za-z0-9._:/-] (as in the capability manifest). */
export const SCOPE_PATTERN = /^[A-Za-z0-9._:/-]{1,128}$/;

/** ISO 4217 currency code: three upper-case letters. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** A compact JWS: three base64url segments (the payload may not be empty). */
export const COMPACT_JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** jti: at least 22 base64url characters (>= 128 bits when random), at most 128. */
export const JTI_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;

export function isScope(value: string): boolean {
  return SCOPE_PATTERN.test(value);
}

export function isCurrency(value: string): boolean {
  return CURRENCY_PATTERN.test(value);
}

/** base64url(SHA-256(ASCII of token)): the `ath` claim binding a proof to the presented token. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "ascii").digest("base64url");
}

/** Describes what is wrong with a compact token string, or undefined when it is acceptable. */
export function tokenFault(token: string): string | undefined {
  if (token.length === 0) return "required";
  if (token.length > MAX_TOKEN_BYTES) return `at most ${MAX_TOKEN_BYTES} bytes`;
  if (!COMPACT_JWS_PATTERN.test(token)) return "not a compact JWS";
  return undefined;
}
