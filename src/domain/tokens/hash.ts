/** Token hashes: `ath` (a proof bound to the presented token) and the credential-result cache key. */
import { createHash } from "node:crypto";

/** base64url(SHA-256(ASCII of token)). */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "ascii").digest("base64url");
}

/**
 * tokenHash of recently presented tokens, emptied when full: a credential or session token comes with many
 * proofs, and Verify needs its hash twice (the credential-result cache key and the proof's ath). A map lookup
 * on the token costs far less than SHA-256 and a hash object. Holds only what callers already hold.
 */
export class TokenHashMemo {
  private readonly hashes = new Map<string, string>();

  constructor(private readonly maxEntries = 1024) {}

  hashOf(token: string): string {
    let hash = this.hashes.get(token);
    if (hash === undefined) {
      if (this.hashes.size >= this.maxEntries) this.hashes.clear();
      hash = tokenHash(token);
      this.hashes.set(token, hash);
    }
    return hash;
  }
}
