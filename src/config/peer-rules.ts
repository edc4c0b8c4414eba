/** Parsers for the peer-related variables: PEER_ROLES, RELYING_PARTY_AUDIENCES and RELYING_PARTY_ORGS. */
import { isId } from "../domain/ids.js";
import { ROLES, type Role } from "../domain/peer.js";
import type { EnvReader } from "./env-reader.js";
import type { RoleRule } from "./types.js";

const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

/** A SPIFFE trust domain name as the SPIFFE ID spec allows it: lower-case letters, digits, ".", "-", "_". */
export function isTrustDomain(value: string): boolean {
  return TRUST_DOMAIN.test(value);
}

/** The PEER_ROLES used when the variable is unset, for the given trust domain. */
export function defaultPeerRoles(trustDomain: string): string {
  const base = `spiffe://${trustDomain}`;
  return `${base}/admin/=admin,${base}/rp/=relying-party,${base}/agent/=agent`;
}

/** True for a peer identity (or identity prefix) this service could ever see: its trust domain, or "cn:". */
function isPeerIdentityPrefix(value: string, trustDomain: string): boolean {
  if (value.startsWith("cn:")) return value.length > 3;
  return value.startsWith(`spiffe://${trustDomain}/`);
}

/**
 * PEER_ROLES: "prefix=role,prefix=role". Each prefix is the start of a SPIFFE ID in the trust domain
 * ("spiffe://<td>/admin/") or of a CN identity ("cn:ops-"); each role is admin, relying-party or agent.
 */
export function parsePeerRoles(reader: EnvReader, name: string, text: string, trustDomain: string): RoleRule[] {
  const rules: RoleRule[] = [];
  for (const entry of text.split(",").map((s) => s.trim())) {
    const eq = entry.lastIndexOf("=");
    if (eq <= 0) {
      reader.problem(name, `entry "${entry}" must be prefix=role`);
      continue;
    }
    const prefix = entry.slice(0, eq).trim();
    const role = entry.slice(eq + 1).trim();
    if (!(ROLES as readonly string[]).includes(role)) {
      reader.problem(name, `entry "${entry}": role must be one of ${ROLES.join(", ")}`);
      continue;
    }
    if (!isPeerIdentityPrefix(prefix, trustDomain)) {
      reader.problem(name, `entry "${entry}": prefix must start with spiffe://${trustDomain}/ or cn:`);
      continue;
    }
    rules.push({ prefix, role: role as Role });
  }
  return rules;
}

/**
 * A per-peer list: "identity=a|b;identity2=c" (RELYING_PARTY_AUDIENCES, RELYING_PARTY_ORGS). Identities are
 * exact peer identities; `checkItem` returns a problem description for a bad item, or undefined.
 */
export function parseIdentityLists(
  reader: EnvReader,
  name: string,
  trustDomain: string,
  checkItem: (item: string) => string | undefined,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const text = reader.string(name);
  if (text === undefined) return out;
  for (const entry of text.split(";").map((s) => s.trim())) {
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    if (eq <= 0) {
      reader.problem(name, `entry "${entry}" must be identity=item|item`);
      continue;
    }
    const identity = entry.slice(0, eq).trim();
    const items = entry.slice(eq + 1).split("|").map((s) => s.trim());
    if (!isPeerIdentityPrefix(identity, trustDomain)) {
      reader.problem(name, `identity "${identity}" must be spiffe://${trustDomain}/... or cn:<name>`);
      continue;
    }
    if (out.has(identity)) {
      reader.problem(name, `identity "${identity}" appears twice`);
      continue;
    }
    const bad = items.map((item) => (item === "" ? "empty item" : checkItem(item))).find((p) => p !== undefined);
    if (bad !== undefined) {
      reader.problem(name, `identity "${identity}": ${bad}`);
      continue;
    }
    out.set(identity, items);
  }
  return out;
}

/** An audience string: printable, no spaces. */
export function checkAudience(item: string): string | undefined {
  return /^[\x21-\x7e]+$/.test(item) ? undefined : `audience "${item}" must be printable with no spaces`;
}

/** An organisation id, or "*" for all organisations. */
export function checkOrgSelector(item: string): string | undefined {
  return item === "*" || isId("org", item) ? undefined : `"${item}" must be an org id (org_...) or *`;
}
