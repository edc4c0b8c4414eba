/** Org-scope checks for admin principals: an org-scoped admin JWT acts only within its organisation. */
import { DomainError } from "../errors.js";
import { adminMayActOn, type AdminPrincipal } from "../peer.js";

/** Throws permission_denied (admin.org_forbidden) when `admin` is restricted to an organisation other than `orgId`. */
export function requireAdminMayActOn(admin: AdminPrincipal, orgId: string): void {
  if (!adminMayActOn(admin, orgId)) {
    throw new DomainError("permission_denied", "admin.org_forbidden", "admin token is restricted to another organisation");
  }
}

/** Throws permission_denied (admin.org_scoped) for an org-scoped admin on an operation spanning organisations. */
export function requireUnrestrictedAdmin(admin: AdminPrincipal): void {
  if (admin.orgId !== undefined) {
    throw new DomainError("permission_denied", "admin.org_scoped", "an organisation-scoped admin token cannot do this");
  }
}
