/** Builds the agent-signed JWS kinds byte-exactly (fixed header and claim order), as docs/proof-format.md specifies. */
import { randomBytes } from "node:crypto";
import { CompactSign, type importJWK } from "jose";

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

export const PROOF_TYP = "agent-proof+jwt";
export const HANDSHAKE_TYP = "agent-handshake+jwt";
export const POP_TYP = "agent-pop+jwt";

/** A fresh jti: 16 random bytes, base64url (22 characters, 128 bits). */
export function newJti(): string {
  return randomBytes(16).toString("base64url");
}

/** Signs `claims` (serialised in the given property order) with header {"alg","typ"} in that order. */
export async function signAgentJws(
  key: SigningKey,
  alg: "ES256" | "EdDSA",
  typ: string,
  claims: Readonly<Record<string, unknown>>,
): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  return new CompactSign(payload).setProtectedHeader({ alg, typ }).sign(key);
}
