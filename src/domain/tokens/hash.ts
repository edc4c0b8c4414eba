/** Token hashes: `ath` (a proof bound to the presented token) and the credential-result cache key. */
import { createHash } from "node:crypto";

/** base64url(SHA-256(ASCII of token)). */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "ascii").digest("base64url");
}
