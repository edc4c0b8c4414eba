/** The signer port: a key that signs bytes (file JWK or AWS KMS) with a kid and a published public key. */
import type { JWK } from "jose";
import type { TokenSigner } from "../tokens/index.js";

export interface Signer extends TokenSigner {
  /** The JWS "kid" (RFC 7638 thumbprint unless the key file names one). */
  readonly kid: string;
  /** Public members only (kty, crv, x[, y]). */
  readonly publicJwk: JWK;
  /**
   * Signs `data` (the JWS signing input) and returns the JOSE signature: raw R||S (64 bytes) for ES256, the
   * 64-byte Ed25519 signature for EdDSA.
   * @throws DomainError unavailable ("signer unavailable") when the key service cannot sign.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}
