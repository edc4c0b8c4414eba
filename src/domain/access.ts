/** Who may act on which organisation: admin tokens (optionally org-scoped) and relying parties' configured orgs. */
import { DomainError } from "./errors.js";
import type { Actor, AdminPrincipal } from "./peer.js";

/** The actor's admin principal; unauthenticated "admin.token_missing" without an admin token. */
export function requireAdmin(actor: Actor): AdminPrincipal {
  if (actor.admin === undefined) throw new DomainError("unauthenticated", "admin.token_missing", "admin token required");
  return actor.admin;
}

/** Throws permission_denied (admin.org_forbidden) when `admin` is restricted to an organisation other than `orgId`. */
export function requireAdminMayActOn(admin: AdminPrincipal, orgId: string): void {
  if (admin.orgId !== undefined && admin.orgId !== orgId) {
    throw new DomainError("permission_denied", "admin.org_forbidden", "admin token is restricted to another organisation");
  }
}

/** Throws permission_denied (admin.org_scoped) for an org-scoped admin on an operation spanning organisations. */
export function requireUnrestrictedAdmin(admin: AdminPrincipal): void {
  if (admin.orgId !== undefined) {
    throw new DomainError("permission_denied", "admin.org_scoped", "an organisation-scoped admin token cannot do this");
  }
}

/** Throws unless the actor is an admin allowed to act within orgId. */
export function requireAdminFor(actor: Actor, orgId: string): void {
  requireAdminMayActOn(requireAdmin(actor), orgId);
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
