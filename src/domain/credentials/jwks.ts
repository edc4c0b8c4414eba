/** The issuer JWKS document (public members + kid, alg, use) and its HTTP cache headers. */
import { createHash } from "node:crypto";
import type { JWK } from "jose";
import type { IssuerKeyRecord } from "./ports.js";

interface PublishedJwk {
  readonly kty: string;
  readonly crv: string;
  readonly x: string;
  readonly y?: string;
  readonly kid: string;
  readonly alg: string;
  readonly use: "sig";
}

export interface JwksDocument {
  readonly keys: readonly PublishedJwk[];
}

/** Seconds relying parties may cache the JWKS; bounds how long a revoked key lingers in their caches. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** kty, crv, x (and y for EC) only: anything else in a JWK (d, key_ops, ...) is dropped. */
export function publicMembers(jwk: JWK): JWK {
  if (jwk.kty === "EC") return { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

/** The JWKS of the given (published) keys, in the given order. */
export function buildJwks(published: readonly IssuerKeyRecord[]): JwksDocument {
  return {
    keys: published.map((r) => {
      const pub = publicMembers(r.publicJwk);
      return {
        kty: String(pub.kty),
        crv: String(pub.crv),
        x: String(pub.x),
        ...(pub.y === undefined ? {} : { y: pub.y }),
        kid: r.kid,
        alg: r.alg,
        use: "sig" as const,
      };
    }),
  };
}

interface JwksHttpResponse {
  readonly body: string;
  readonly etag: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Body and headers for GET /.well-known/jwks.json: short public caching and a strong ETag of the body. */
export function jwksHttpResponse(doc: JwksDocument, maxAgeSeconds: number = JWKS_MAX_AGE_SECONDS): JwksHttpResponse {
  const body = JSON.stringify(doc);
  const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
  return {
    body,
    etag,
    headers: {
      "content-type": "application/jwk-set+json",
      "cache-control": `public, max-age=${maxAgeSeconds}`,
      etag,
    },
  };
}

/** True when an If-None-Match request header already names this ETag (answer 304). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === etag || t === "*");
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
