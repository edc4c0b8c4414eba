/** The narrow KMS client the KMS signer needs (GetPublicKey, Sign over a digest), implemented with @aws-sdk/client-kms. */
import { GetPublicKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";

export interface KmsPublicKey {
  /** DER SubjectPublicKeyInfo. */
  readonly spkiDer: Uint8Array;
  /** e.g. "ECC_NIST_P256". */
  readonly keySpec: string | undefined;
}

/** What the signer uses of KMS; SDK errors pass through unchanged (the signer maps them). */
export interface KmsSigningClient {
  getPublicKey(keyId: string): Promise<KmsPublicKey>;
  /** ECDSA_SHA_256 over a precomputed SHA-256 digest (MessageType DIGEST); returns the DER signature. */
  signDigest(keyId: string, digest: Uint8Array): Promise<Uint8Array>;
  /** Closes the HTTP connections. */
  destroy(): void;
}

export interface AwsKmsClientOptions {
  readonly region: string;
  /** Endpoint override (a VPC endpoint, or a local stand-in in tests). */
  readonly endpoint?: string;
  /** Static credentials; default: the SDK's provider chain (env, web identity, instance role, ...). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Per-attempt response deadline (default 2000 ms). */
  readonly requestTimeoutMs?: number;
  /** TCP/TLS connect deadline (default 1000 ms). */
  readonly connectionTimeoutMs?: number;
  /** Total attempts including retries of throttling and network errors (default 3). */
  readonly maxAttempts?: number;
}

export function createAwsKmsClient(options: AwsKmsClientOptions): KmsSigningClient {
  const client = new KMSClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: "standard",
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 2000,
      // Without this the handler only logs a breached request timeout and keeps waiting.
      throwOnRequestTimeout: true,
      socketTimeout: options.requestTimeoutMs ?? 2000,
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
    },
  });
  return {
    async getPublicKey(keyId) {
      const out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
      if (out.PublicKey === undefined) throw new Error("kms GetPublicKey returned no public key");
      return { spkiDer: out.PublicKey, keySpec: out.KeySpec };
    },
    async signDigest(keyId, digest) {
      const out = await client.send(
        new SignCommand({ KeyId: keyId, Message: digest, MessageType: "DIGEST", SigningAlgorithm: "ECDSA_SHA_256" }),
      );
      if (out.Signature === undefined) throw new Error("kms Sign returned no signature");
      return out.Signature;
    },
    destroy() {
      client.destroy();
    },
  };
}
