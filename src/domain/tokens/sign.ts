/** The one way every token kind is signed: header {alg, typ[, kid]} in that order, then the claims as given. */
import { createPrivateKey, sign as cryptoSign, type KeyObject } from "node:crypto";
import { encodeBase64url } from "./base64url.js";
import { algForJwk, type TokenAlg } from "./keys.js";
import type { TokenKind } from "./kinds.js";

/** A key that signs bytes: the issuer signer port (file JWK, KMS), the session or admin key, an agent's key. */
export interface TokenSigner {
  readonly alg: TokenAlg;
  /** Required by kinds whose header carries a kid. */
  readonly kid?: string;
  /** The JOSE signature of `data`: raw R||S for ES256, the Ed25519 signature for EdDSA. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** Signs `claims` as a compact JWS of `kind`. */
export async function signToken<C>(kind: TokenKind<C>, signer: TokenSigner, claims: C): Promise<string> {
  const withKid = kind.headerMembers.includes("kid");
  if (withKid && signer.kid === undefined) throw new Error(`a ${kind.typ} signer needs a kid`);
  const header = withKid ? { alg: signer.alg, typ: kind.typ, kid: signer.kid } : { alg: signer.alg, typ: kind.typ };
  const encoder = new TextEncoder();
  const signingInput = `${encodeBase64url(encoder.encode(JSON.stringify(header)))}.${encodeBase64url(encoder.encode(JSON.stringify(claims)))}`;
  const signature = await signer.sign(encoder.encode(signingInput));
  return `${signingInput}.${encodeBase64url(signature)}`;
}

/** A signer over a node:crypto private key (agent keys, the session key). */
export function keyObjectSigner(privateKey: KeyObject, alg: TokenAlg, kid?: string): TokenSigner {
  return {
    alg,
    ...(kid === undefined ? {} : { kid }),
    sign: (data) =>
      Promise.resolve(
        new Uint8Array(alg === "EdDSA" ? cryptoSign(null, data, privateKey) : cryptoSign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" })),
      ),
  };
}

/** A signer from a private JWK (Ed25519 or P-256 with "d"). */
export function privateJwkSigner(jwk: { readonly kty?: string; readonly crv?: string; readonly d?: string }, kid?: string): TokenSigner {
  const alg = algForJwk(jwk);
  if (alg === undefined || typeof jwk.d !== "string") throw new Error("an Ed25519 or P-256 private JWK is required");
  return keyObjectSigner(createPrivateKey({ key: { ...jwk } as { kty: string }, format: "jwk" }), alg, kid);
}
