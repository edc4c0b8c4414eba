/** Signer adapter for an AWS KMS ECC_NIST_P256 key: ES256 via Sign(ECDSA_SHA_256, DIGEST), DER -> R||S. */
import { createHash, createPublicKey } from "node:crypto";
import type { JWK } from "jose";
import { DomainError, unavailable } from "../../domain/errors.js";
import { derToJoseSignature } from "./der-signature.js";
import { createAwsKmsClient } from "./kms-client.js";
import type { AwsKmsClientOptions, KmsSigningClient } from "./kms-client.js";
import { publicMembers } from "../../domain/credentials/index.js";
import { jwkThumbprint, type Signer } from "../../domain/keys/index.js";

export const SIGNER_UNAVAILABLE = "signer.unavailable";

export interface KmsSignerOptions extends AwsKmsClientOptions {
  /** KMS_KEY_ARN: key ARN, alias ARN or key id. */
  readonly keyArn: string;
}

/** A KMS-backed signer that owns its SDK client; close() releases it. */
export interface ClosableSigner extends Signer {
  close(): void;
}

/**
 * Builds the KMS signer: fetches the public key once (GetPublicKey; SPKI -> JWK, cached for the signer's
 * life), kid = its RFC 7638 thumbprint.
 * @throws DomainError unavailable "signer unavailable" when KMS cannot be reached or refuses;
 *   failed_precondition when the key is not an ECC_NIST_P256 key.
 */
export async function createKmsSigner(options: KmsSignerOptions): Promise<ClosableSigner> {
  const client = createAwsKmsClient(options);
  try {
    const signer = await kmsSignerFromClient(client, options.keyArn);
    return Object.assign(signer, { close: () => client.destroy() });
  } catch (e) {
    client.destroy();
    throw e;
  }
}

/** The signer over any KmsSigningClient (the SDK one in production). */
export async function kmsSignerFromClient(client: KmsSigningClient, keyArn: string): Promise<Signer> {
  let publicKey;
  try {
    publicKey = await client.getPublicKey(keyArn);
  } catch (e) {
    throw unavailable(SIGNER_UNAVAILABLE, "signer", e);
  }
  if (publicKey.keySpec !== undefined && publicKey.keySpec !== "ECC_NIST_P256") {
    throw new DomainError(
      "failed_precondition",
      "signer.kms_key_spec",
      `KMS_KEY_ARN names a ${publicKey.keySpec} key; an ECC_NIST_P256 signing key is required`,
    );
  }
  let jwk: JWK;
  try {
    jwk = publicMembers(createPublicKey({ key: Buffer.from(publicKey.spkiDer), format: "der", type: "spki" }).export({
      format: "jwk",
    }) as JWK);
  } catch (e) {
    throw new DomainError("failed_precondition", "signer.kms_public_key", "KMS_KEY_ARN: public key is not readable", {
      cause: e,
    });
  }
  if (jwk.kty !== "EC" || jwk.crv !== "P-256") {
    throw new DomainError("failed_precondition", "signer.kms_key_spec", "KMS_KEY_ARN: an EC P-256 key is required");
  }
  const kid = await jwkThumbprint(jwk);
  return {
    kid,
    alg: "ES256",
    publicJwk: jwk,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      const digest = createHash("sha256").update(data).digest();
      let der: Uint8Array;
      try {
        der = await client.signDigest(keyArn, new Uint8Array(digest));
      } catch (e) {
        throw unavailable(SIGNER_UNAVAILABLE, "signer", e);
      }
      try {
        return derToJoseSignature(der, 32);
      } catch (e) {
        throw unavailable(SIGNER_UNAVAILABLE, "signer", e);
      }
    },
  };
}
