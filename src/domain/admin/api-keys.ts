/** Admin API keys: SHA-256 hashing and a constant-time comparison against every configured hash. */
import { createHash, timingSafeEqual } from "node:crypto";

/** The placeholder shipped in examples; production refuses it. */
export const PLACEHOLDER_ADMIN_API_KEY = "replace-with-strong-admin-api-key";

/** Shortest admin API key production accepts. */
export const MIN_ADMIN_API_KEY_LENGTH = 16;

/** SHA-256 of the key's UTF-8 bytes (the only form in which keys are kept). */
export function hashAdminApiKey(key: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(key, "utf8").digest());
}

/**
 * True when `presented` hashes to one of `hashes`. Every hash is compared, with timingSafeEqual, whether or not
 * an earlier one matched, so the time taken does not reveal which key (current or next) matched.
 */
export function apiKeyMatches(presented: string, hashes: readonly Uint8Array[]): boolean {
  const candidate = hashAdminApiKey(presented);
  let matched = false;
  for (const hash of hashes) {
    const equal = hash.length === candidate.length && timingSafeEqual(candidate, hash);
    matched = equal || matched;
  }
  return matched;
}
