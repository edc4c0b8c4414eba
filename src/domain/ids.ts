/** Typed resource ids: a type prefix and 130 random bits in lower-case Crockford base32. */
import { randomBytes } from "node:crypto";
import { invalidField } from "./errors.js";

type IdPrefix = "org" | "agt" | "evt" | "crd" | "ses" | "prp" | "tev" | "key";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const RANDOM_CHARS = 26; // 26 * 5 = 130 bits

/** A new id such as "agt_0f3k...". */
export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(RANDOM_CHARS);
  let out = "";
  for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[bytes[i]! & 31];
  return `${prefix}_${out}`;
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
