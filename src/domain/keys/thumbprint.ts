/** RFC 7638 JWK thumbprints (base64url SHA-256 over the required members), as used in cnf.jkt and issuer kids. */
import { calculateJwkThumbprint } from "jose";
import type { JWK } from "jose";

/** The RFC 7638 SHA-256 thumbprint of a public (or private: only public members count) JWK. */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, "sha256");
}
