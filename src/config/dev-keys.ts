/** Development signing keys and the development admin API key, generated fresh (P-256 JWKs with RFC 7638 kids). */
import { randomBytes } from "node:crypto";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

/** A new P-256 private JWK with kid = its RFC 7638 thumbprint, alg ES256, use sig. */
export async function createP256PrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK, "sha256");
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d, kid, alg: "ES256", use: "sig" } as JWK;
}

/** A new admin API key: 32 random bytes, base64url (43 characters). */
export function createAdminApiKey(): string {
  return randomBytes(32).toString("base64url");
}
