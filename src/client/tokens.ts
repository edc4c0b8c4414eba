/** The agent-signed token kinds as the SDK makes them: the domain's token table and claim builders, and fresh jtis. */
import { randomBytes } from "node:crypto";

export { HANDSHAKE, POSSESSION, PROOF, handshakeClaims, possessionClaims, privateJwkSigner, proofClaims, signToken, tokenHash } from "../domain/tokens/index.js";
export type { TokenSigner } from "../domain/tokens/index.js";

/** A fresh jti: 16 random bytes, base64url (22 characters, 128 bits). */
export function newJti(): string {
  return randomBytes(16).toString("base64url");
}
