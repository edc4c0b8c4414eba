/**
 * The operator's trusted issuer keys for checking audit exports: a JWKS named outside the export, whose keys may
 * carry `revoked_at` (NumericDate seconds or an RFC 3339 time): a checkpoint made at or after it is refused.
 */
import { publicMembers } from "../issuer/jwks.js";
import type { IssuerKeyRecord } from "../issuer/ports.js";
import { verificationKey, type VerificationKey } from "../tokens/index.js";

export interface TrustedIssuerKey {
  readonly kid: string;
  readonly key: VerificationKey;
  /** When the key was revoked (ms since the epoch); checkpoints it signed at or after this are not trusted. */
  readonly revokedAtMs?: number;
}

/** Trusted keys by kid. A kid absent here is not trusted at all. */
export type TrustedKeys = ReadonlyMap<string, TrustedIssuerKey>;

export class TrustedKeysError extends Error {
  override readonly name = "TrustedKeysError";
}

function revokedAtMs(value: unknown, kid: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value * 1000;
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value) && Number.isFinite(Date.parse(value))) return Date.parse(value);
  throw new TrustedKeysError(`key ${kid}: revoked_at must be NumericDate seconds or an RFC 3339 time`);
}

/**
 * Parses a JWKS ({"keys":[...]}) into trusted keys. Keys without a kid or of a type that cannot sign
 * checkpoints are skipped; an unusable revoked_at, a duplicate kid or no usable key at all is an error.
 */
export function parseTrustedKeys(jwksJson: string): TrustedKeys {
  let doc: unknown;
  try {
    doc = JSON.parse(jwksJson);
  } catch {
    throw new TrustedKeysError("not JSON");
  }
  const list = typeof doc === "object" && doc !== null ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list)) throw new TrustedKeysError('expected a JWKS: {"keys": [...]}');
  const keys = new Map<string, TrustedIssuerKey>();
  for (const item of list as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const jwk = item as Record<string, unknown>;
    if (typeof jwk.kid !== "string") continue;
    if (keys.has(jwk.kid)) throw new TrustedKeysError(`key ${jwk.kid} appears twice`);
    let key: VerificationKey;
    try {
      key = verificationKey(jwk);
    } catch {
      continue;
    }
    const revoked = revokedAtMs(jwk.revoked_at, jwk.kid);
    keys.set(jwk.kid, revoked === undefined ? { kid: jwk.kid, key } : { kid: jwk.kid, key, revokedAtMs: revoked });
  }
  if (keys.size === 0) throw new TrustedKeysError("no usable signing key (EC P-256 or Ed25519 with a kid)");
  return keys;
}

/**
 * A trusted-keys file for `audit:verify --jwks` from recorded issuer keys (revoked ones included, with
 * `revoked_at` in NumericDate seconds, rounded down so a checkpoint of the revocation's own second is refused).
 */
export function formatTrustedKeys(records: readonly IssuerKeyRecord[]): string {
  const keys = records.map((r) => ({
    ...publicMembers(r.publicJwk),
    kid: r.kid,
    alg: r.alg,
    use: "sig",
    ...(r.revokedAtMs === undefined ? {} : { revoked_at: Math.floor(r.revokedAtMs / 1000) }),
  }));
  return `${JSON.stringify({ keys }, null, 2)}\n`;
}
