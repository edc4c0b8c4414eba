/** The session-token key (Ed25519), its own key, never an issuer or admin key. */
import { createPrivateKey, createPublicKey, hkdfSync, randomBytes, createHash, type KeyObject } from "node:crypto";
import { keyObjectSigner, verificationKey, type TokenSigner, type VerificationKey } from "../tokens/index.js";

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * Signs and verifies agent-session+jwt tokens. Build it from a 32-byte seed shared by all replicas
 * (`fromSeed`) so any replica verifies any session; `generate()` gives a replica-local key (tests).
 */
export class SessionKeys {
  private constructor(
    readonly kid: string,
    readonly signer: TokenSigner,
    readonly verification: VerificationKey,
  ) {}

  /** Derives the key with HKDF-SHA256 from a secret seed (>= 32 bytes). */
  static fromSeed(seed: Uint8Array): SessionKeys {
    if (seed.length < 32) throw new Error("session key seed must be at least 32 bytes");
    const okm = Buffer.from(hkdfSync("sha256", seed, Buffer.alloc(0), "agent-identity session key v1", 32));
    const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, okm]), format: "der", type: "pkcs8" });
    const x = (createPublicKey(privateKey).export({ format: "jwk" }) as { x: string }).x;
    // RFC 7638 thumbprint of {"crv","kty","x"} (members in lexicographic order).
    const thumbprint = createHash("sha256").update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x })).digest("base64url");
    const kid = `ses-${thumbprint}`;
    return new SessionKeys(kid, keyObjectSigner(privateKey, "EdDSA", kid), verificationKey({ kty: "OKP", crv: "Ed25519", x }));
  }

  /** A fresh random key, valid only in this process. */
  static generate(): SessionKeys {
    return SessionKeys.fromSeed(randomBytes(32));
  }
}
