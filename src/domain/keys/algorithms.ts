/** The JWS algorithm allow-list derived from a key's type: never from a token header. */
import type { JWK } from "jose";

export type KeyAlgorithm = "ES256" | "EdDSA";

/** The only algorithm a key may sign with: EC P-256 -> ES256, OKP Ed25519 -> EdDSA; undefined otherwise. */
export function algorithmForJwk(jwk: Pick<JWK, "kty" | "crv">): KeyAlgorithm | undefined {
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  return undefined;
}

/** The allow-list to hand to jose for a key (empty for an unsupported key, so nothing verifies). */
export function allowedAlgorithms(jwk: Pick<JWK, "kty" | "crv">): KeyAlgorithm[] {
  const alg = algorithmForJwk(jwk);
  return alg === undefined ? [] : [alg];
}
