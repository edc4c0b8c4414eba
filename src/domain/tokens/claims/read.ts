/** Small typed readers for claim values; each returns the value or throws a ClaimFault naming the claim. */

/** A claim missing, of the wrong type or out of syntax (an envelope fault of the token that carried it). */
export class ClaimFault extends Error {
  constructor(readonly claim: string, description: string) {
    super(`claim ${claim} ${description}`);
  }
}

/** jti: at least 22 base64url characters (>= 128 bits when random), at most 128. */
export const JTI_PATTERN = /^[A-Za-z0-9_-]{22,128}$/;
/** Scope and operation syntax: 1..128 characters of [A-Za-z0-9._:/-] (as in the capability manifest). */
export const SCOPE_PATTERN = /^[A-Za-z0-9._:/-]{1,128}$/;
/** ISO 4217 currency code: three upper-case letters. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
/** A base64url SHA-256 (43 characters). */
export const SHA256_B64URL = /^[A-Za-z0-9_-]{43}$/;

export function str(payload: Readonly<Record<string, unknown>>, claim: string, max = 512): string {
  const v = payload[claim];
  if (typeof v !== "string" || v.length === 0 || v.length > max) throw new ClaimFault(claim, "must be a non-empty string");
  return v;
}

export function optionalStr(payload: Readonly<Record<string, unknown>>, claim: string): string | undefined {
  return payload[claim] === undefined ? undefined : str(payload, claim);
}

export function matching(payload: Readonly<Record<string, unknown>>, claim: string, pattern: RegExp, description: string): string {
  const v = payload[claim];
  if (typeof v !== "string" || !pattern.test(v)) throw new ClaimFault(claim, description);
  return v;
}

/** Integer seconds (or another non-negative safe integer). */
export function seconds(payload: Readonly<Record<string, unknown>>, claim: string): number {
  const v = payload[claim];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new ClaimFault(claim, "must be integer seconds");
  return v;
}

/** A member of an object claim (cnf.jkt, cnf["x5t#S256"]). */
export function memberStr(payload: Readonly<Record<string, unknown>>, claim: string, member: string): string {
  const obj = payload[claim];
  const v = typeof obj === "object" && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>)[member] : undefined;
  if (typeof v !== "string" || v.length === 0 || v.length > 512) throw new ClaimFault(`${claim}.${member}`, "must be a non-empty string");
  return v;
}

/** An array of 1..max scopes, de-duplicated in order. */
export function scopeList(payload: Readonly<Record<string, unknown>>, claim: string, max: number, allowEmpty = false): string[] {
  const v = payload[claim];
  const ok =
    Array.isArray(v) &&
    (allowEmpty || v.length > 0) &&
    v.length <= max &&
    v.every((s): s is string => typeof s === "string" && SCOPE_PATTERN.test(s));
  if (!ok) throw new ClaimFault(claim, `must be ${allowEmpty ? 0 : 1}..${max} scopes`);
  return [...new Set(v)];
}
