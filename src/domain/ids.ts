/** Typed resource ids: a type prefix and 130 random bits in lower-case Crockford base32. */
import { randomFillSync } from "node:crypto";
import { invalidField } from "./errors.js";

type IdPrefix = "org" | "agt" | "evt" | "crd" | "ses" | "prp" | "tev" | "key";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const RANDOM_CHARS = 26; // 26 * 5 = 130 bits

/** Random bytes for many ids, refilled from the CSPRNG when used up (one call per 157 ids instead of one per id). */
const pool = Buffer.alloc(RANDOM_CHARS * 157);
let poolAt = pool.length;

/** A new id such as "agt_0f3k...". Each id's bytes are used once, for that id only. */
export function newId(prefix: IdPrefix): string {
  if (poolAt + RANDOM_CHARS > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  let out = `${prefix}_`;
  for (let i = poolAt; i < poolAt + RANDOM_CHARS; i++) out += ALPHABET[pool[i]! & 31];
  poolAt += RANDOM_CHARS;
  return out;
}

const ID_PATTERN = /^[a-z]{3}_[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `value` is syntactically an id of the given type. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}

/** invalid_argument on org_id unless it is syntactically an org id. */
export function requireOrgId(orgId: string, field = "org_id"): void {
  if (!isId("org", orgId)) throw invalidField("org.invalid_id", field, "must be an org id (org_...)");
}

/** invalid_argument on agent_id unless it is syntactically an agent id. */
export function requireAgentId(agentId: string, field = "agent_id"): void {
  if (!isId("agt", agentId)) throw invalidField("agent.invalid_id", field, "must be an agent id (agt_...)");
}
