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

/** The claims of an admin JWT as this service writes them. */
export type AdminJwtClaims = AdminClaims & { readonly scope: typeof ADMIN_SCOPE };

export interface AdminJwtExpectation {
  readonly issuer: string;
  readonly audience: string;
  readonly nowMs: number;
  readonly maxTtlSeconds: number;
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
  return { sub: c.sub, jti: c.jti, orgId: c.org_id, thumbprint: c.cnf["x5t#S256"] };
}
