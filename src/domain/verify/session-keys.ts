/** The session-token signing key (Ed25519), its own key, never an issuer or admin key. */
import { createPrivateKey, hkdfSync, randomBytes } from "node:crypto";
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";

type JoseKey = Awaited<ReturnType<typeof importJWK>>;

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * Signs and verifies agent-session+jwt tokens. Build it from a 32-byte seed shared by all replicas
 * (`fromSeed`, e.g. the seed the Redis store keeps under `<prefix>session-seed`) so any replica verifies any
 * session; `generate()` gives a replica-local key (embedded single-process mode, tests).
 */
export class SessionKeys {
  private constructor(
    readonly kid: string,
    readonly publicJwk: JWK,
    readonly privateKey: JoseKey,
    readonly publicKey: JoseKey,
  ) {}

  readonly alg = "EdDSA" as const;

  /** Derives the key with HKDF-SHA256 from a secret seed (>= 32 bytes). */
  static async fromSeed(seed: Uint8Array): Promise<SessionKeys> {
    if (seed.length < 32) throw new Error("session key seed must be at least 32 bytes");
    const okm = Buffer.from(hkdfSync("sha256", seed, Buffer.alloc(0), "agent-identity session key v1", 32));
    const keyObject = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, okm]), format: "der", type: "pkcs8" });
    const privateJwk = keyObject.export({ format: "jwk" }) as JWK;
    const publicJwk: JWK = { kty: "OKP", crv: "Ed25519", x: privateJwk.x };
    const kid = `ses-${await calculateJwkThumbprint(publicJwk)}`;
    return new SessionKeys(
      kid,
      { ...publicJwk, kid, alg: "EdDSA", use: "sig" },
      await importJWK(privateJwk, "EdDSA"),
      await importJWK(publicJwk, "EdDSA"),
    );
  }

  /** A fresh random key, valid only in this process. */
  static generate(): Promise<SessionKeys> {
    return SessionKeys.fromSeed(randomBytes(32));
  }
}
