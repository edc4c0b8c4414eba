/** Verification keys: a public JWK imported once as a node:crypto KeyObject, with the one alg its type allows. */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { p256SignatureToDer } from "./ecdsa-der.js";

export type TokenAlg = "ES256" | "EdDSA";

/** A public key and the only alg it verifies (never taken from a token). */
export interface VerificationKey {
  readonly alg: TokenAlg;
  readonly key: KeyObject;
}

/** The JWK members that decide the alg: EC P-256 -> ES256, OKP Ed25519 -> EdDSA. */
export interface PublicKeyJwk {
  readonly kty?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
}

/** The only algorithm a key may sign with; undefined for any other key type. */
export function algForJwk(jwk: PublicKeyJwk): TokenAlg | undefined {
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  return undefined;
}

const imported = new WeakMap<object, VerificationKey>();

/**
 * The verification key of a public JWK, memoised per JWK object (cached agent states and key records keep
 * theirs, so the hot path imports nothing). Only public members are read.
 * @throws Error for an unsupported key type (stored keys were validated at registration).
 */
export function verificationKey(jwk: PublicKeyJwk): VerificationKey {
  const hit = imported.get(jwk);
  if (hit !== undefined) return hit;
  const alg = algForJwk(jwk);
  if (alg === undefined) throw new Error("unsupported verification key type");
  const members = alg === "ES256" ? { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } : { kty: "OKP", crv: "Ed25519", x: jwk.x };
  const key: VerificationKey = { alg, key: createPublicKey({ key: members as { kty: string }, format: "jwk" }) };
  imported.set(jwk, key);
  return key;
}

/**
 * One-shot signature check: raw R||S (64 bytes) for ES256, the Ed25519 signature for EdDSA. Both hand node:crypto the
 * bare KeyObject (ES256 through the DER form of R||S): its `{ key, dsaEncoding }` options path costs more than the
 * conversion.
 */
export function signatureVerifies(key: VerificationKey, signingInput: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (key.alg === "EdDSA") return cryptoVerify(null, signingInput, key.key, signature);
    if (signature.length !== 64) return false;
    return cryptoVerify("sha256", signingInput, key.key, p256SignatureToDer(signature));
  } catch {
    return false;
  }
}
