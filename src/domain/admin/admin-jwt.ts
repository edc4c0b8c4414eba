/** The admin+jwt format: typ, audience, claims, and the checks a verified payload must still pass. */
import type { JWTPayload } from "jose";
import { isId } from "../ids.js";

export const ADMIN_JWT_TYP = "admin+jwt";
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
export interface AdminJwtClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly scope: typeof ADMIN_SCOPE;
  readonly org_id?: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  /** Certificate binding (mTLS listener tokens only). */
  readonly cnf?: { readonly "x5t#S256": string };
}

/** The fields of a signature-checked payload, or why it is not an admin JWT this service would have issued. */
export function readAdminClaims(
  payload: JWTPayload,
  maxTtlSeconds: number,
  binding: "certificate" | "none" = "certificate",
): { sub: string; jti: string; orgId: string | undefined; thumbprint: string } | { problem: string } {
  const { sub, jti, iat, exp } = payload;
  const scope = payload["scope"];
  const orgId = payload["org_id"];
  const cnf = payload["cnf"];
  if (typeof sub !== "string" || sub === "") return { problem: "sub missing" };
  if (typeof jti !== "string" || jti === "") return { problem: "jti missing" };
  if (scope !== ADMIN_SCOPE) return { problem: "scope is not admin" };
  if (typeof iat !== "number" || typeof exp !== "number" || exp <= iat) return { problem: "iat/exp invalid" };
  if (exp - iat > maxTtlSeconds) return { problem: "lifetime above the maximum" };
  if (orgId !== undefined && (typeof orgId !== "string" || !isId("org", orgId))) return { problem: "org_id invalid" };
  if (binding === "none") {
    return cnf === undefined ? { sub, jti, orgId, thumbprint: "" } : { problem: "cnf present on a browser token" };
  }
  const thumbprint = typeof cnf === "object" && cnf !== null ? (cnf as Record<string, unknown>)["x5t#S256"] : undefined;
  if (typeof thumbprint !== "string" || thumbprint === "") return { problem: "cnf x5t#S256 missing" };
  return { sub, jti, orgId, thumbprint };
}
