// Test-only raw JWS signing with any header and payload (forged, foreign and malformed tokens); production signs through domain/tokens.
import type { TokenSigner } from "../../src/domain/tokens/index.js";
import { encodeBase64url } from "../../src/domain/tokens/index.js";

/** Signs `payload` as a compact JWS with header {...header, alg, kid} from the signer. */
export async function signJwt(
  signer: TokenSigner,
  header: { readonly typ: string; readonly [member: string]: unknown },
  payload: Readonly<Record<string, unknown>>,
): Promise<string> {
  const protectedHeader = { ...header, alg: signer.alg, kid: signer.kid };
  const encoder = new TextEncoder();
  const signingInput = `${encodeBase64url(encoder.encode(JSON.stringify(protectedHeader)))}.${encodeBase64url(encoder.encode(JSON.stringify(payload)))}`;
  const signature = await signer.sign(encoder.encode(signingInput));
  return `${signingInput}.${encodeBase64url(signature)}`;
}
