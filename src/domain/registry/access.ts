/** Who may act on which organisation: org-scoped admin tokens and relying parties' configured orgs. */
import { requireAdminMayActOn } from "../admin/org-scope.js";
import { DomainError } from "../errors.js";
import type { Actor } from "../peer.js";

/** Throws permission_denied unless the actor is an admin allowed to act within orgId. */
export function requireAdminFor(actor: Actor, orgId: string): void {
  if (actor.admin === undefined) {
    throw new DomainError("unauthenticated", "admin.token_missing", "admin token required");
  }
  requireAdminMayActOn(actor.admin, orgId);
}

/** Relying-party read access: which orgs each relying party may read ("*" = all). */
export type RelyingPartyOrgs = ReadonlyMap<string, readonly string[]>;

/**
 * Reads are allowed to admins (within their org scope) and to relying parties for their configured orgs.
 * Anything else is permission_denied.
 */
export function requireReadAccess(actor: Actor, orgId: string, relyingPartyOrgs: RelyingPartyOrgs): void {
  if (actor.admin !== undefined) {
    requireAdminFor(actor, orgId);
    return;
  }
  const peer = actor.peer;
  if (peer !== undefined && peer.roles.has("relying-party")) {
    const orgs = relyingPartyOrgs.get(peer.identity) ?? [];
    if (orgs.includes("*") || orgs.includes(orgId)) return;
  }
  throw new DomainError("permission_denied", "registry.read_denied", "caller may not read this organisation's agents");
}
