/** The admin+jwt format: typ, audience, claims, and the checks a verified payload must still pass. */
import type { AdminClaims } from "../tokens/index.js";
import { isId } from "../ids.js";

export const ADMIN_SCOPE = "admin";
/** Hard ceiling for any admin JWT lifetime (15 minutes). */
export const ADMIN_JWT_MAX_TTL_SECONDS = 900;
export const ADMIN_JWT_MIN_TTL_SECONDS = 60;

/** The admin JWT audience for an issuer URL: "<issuer>/admin". */
export function adminAudience(issuerUrl: string): string {
  return `${issuerUrl.replace(/\/+$/, "")}/admin`;
}

/**
 * The audience of admin JWTs exchanged on the browser listener: "<issuer>/admin/browser". They carry no
 * certificate binding (the browser has no client certificate), so they are never accepted on the mTLS port, whose
 * tokens name "<issuer>/admin"; and the mTLS port's certificate-bound tokens are never accepted on the browser port.
 */
export function browserAdminAudience(issuerUrl: string): string {
  return `${adminAudience(issuerUrl)}/browser`;
}

/** The claims of an admin JWT as this service writes them. */
export type AdminJwtClaims = AdminClaims & { readonly scope: typeof ADMIN_SCOPE };

export interface AdminJwtExpectation {
  readonly issuer: string;
  readonly audience: string;
  readonly nowMs: number;
  readonly maxTtlSeconds: number;
  /** "certificate": cnf x5t#S256 required (mTLS listener); "none": cnf must be absent (browser listener). */
  readonly binding: "certificate" | "none";
}

/** The fields of a signature-checked admin JWT, or why it is not one this service would accept now. */
export function readAdminClaims(
  c: AdminClaims,
  expect: AdminJwtExpectation,
): { sub: string; jti: string; orgId: string | undefined; thumbprint: string } | { problem: string; expired: boolean } {
  const problem = (why: string, expired = false) => ({ problem: why, expired });
  if (c.iss !== expect.issuer) return problem("iss is not this service");
  if (c.aud !== expect.audience) return problem("aud is not the admin audience");
  if (c.exp * 1000 <= expect.nowMs) return problem("expired", true);
  if (c.scope !== ADMIN_SCOPE) return problem("scope is not admin");
  if (c.exp <= c.iat) return problem("iat/exp invalid");
  if (c.exp - c.iat > expect.maxTtlSeconds) return problem("lifetime above the maximum");
  if (c.org_id !== undefined && !isId("org", c.org_id)) return problem("org_id invalid");
  if (expect.binding === "none") {
    return c.cnf === undefined ? { sub: c.sub, jti: c.jti, orgId: c.org_id, thumbprint: "" } : problem("cnf present on a browser token");
  }
  if (c.cnf === undefined) return problem("cnf x5t#S256 missing");
  return { sub: c.sub, jti: c.jti, orgId: c.org_id, thumbprint: c.cnf["x5t#S256"] };
}
