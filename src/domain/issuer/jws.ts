/** Compact JWS assembly for every token this service signs, once, above the signer adapters. */
import { encodeBase64url } from "../keys/base64url.js";
import type { Signer } from "../keys/index.js";

/** Header members a caller may set; alg and kid always come from the signer. */
export interface JwsHeaderInput {
  readonly typ: string;
  readonly [member: string]: unknown;
}

/** Signs `payload` (a JSON object) as a compact JWS with header {alg, typ, kid, ...header}. */
export async function signJwt(
  signer: Signer,
  header: JwsHeaderInput,
  payload: Readonly<Record<string, unknown>>,
): Promise<string> {
  const protectedHeader = { ...header, alg: signer.alg, kid: signer.kid };
  const encoder = new TextEncoder();
  const signingInput = `${encodeBase64url(encoder.encode(JSON.stringify(protectedHeader)))}.${encodeBase64url(
    encoder.encode(JSON.stringify(payload)),
  )}`;
  const signature = await signer.sign(encoder.encode(signingInput));
  return `${signingInput}.${encodeBase64url(signature)}`;
}
