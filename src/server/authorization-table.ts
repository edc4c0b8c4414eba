/**
 * The fail-closed method table: every RPC we serve, by full method name, with the roles and admin JWT it needs and
 * the rate limit that applies to it. A method missing from the table is refused.
 */
import type { Role } from "../domain/peer.js";

/** Who may call: listed roles, any peer with a usable identity, or anyone (health). */
export type Grant = readonly Role[] | "any-authenticated" | "anyone";

/** Whether the call must (required), may (optional) or does not (none) carry an admin JWT. */
export type AdminJwtRule = "required" | "optional" | "none";

/**
 * How a method is rate limited: "gate" = by the domain in the replay gate's atomic Redis step (per caller and per
 * agent, plus the coarse in-process guard: Verify, VerifyHandshake, self renewal); "per-peer" = in-process token
 * bucket per peer identity at RATE_LIMIT_PER_MINUTE (per replica); "none" = never limited (health probes).
 */
export type LimitRule = "gate" | "per-peer" | "none";

export interface MethodRule {
  readonly roles: Grant;
  readonly adminJwt: AdminJwtRule;
  /** Defaults to "per-peer" when omitted. */
  readonly limit?: LimitRule;
}

/**
 * Full method name ("/package.Service/Method") -> rule, for the mTLS listener (and the sidecar's health). A method
 * not listed is refused. The browser listener has its own table (browser-table.ts).
 */
export type AuthorizationTable = ReadonlyMap<string, MethodRule>;

const ADMIN = "/agentidentity.v1.AdminService/";
const REGISTRY = "/agentidentity.v1.AgentRegistryService/";
const VERIFIER = "/agentidentity.v1.VerifierService/";

// Admin calls here need a certificate-bound admin JWT; the browser port serves its own admin methods with
// browser-audience tokens (browser-table.ts), and neither port accepts the other's tokens.
const adminWithJwt: MethodRule = { roles: ["admin"], adminJwt: "required" };
const readers: MethodRule = { roles: ["admin", "relying-party"], adminJwt: "optional" };
const relyingParty: MethodRule = { roles: ["relying-party"], adminJwt: "none", limit: "gate" };

/** The service's grants (DESIGN.md section 2). */
export const AUTHORIZATION_TABLE: AuthorizationTable = new Map<string, MethodRule>([
  [`${ADMIN}ExchangeToken`, { roles: ["admin"], adminJwt: "none" }],
  [`${ADMIN}CreateOrg`, adminWithJwt],
  [`${ADMIN}GetOrg`, adminWithJwt],
  [`${ADMIN}ListOrgs`, adminWithJwt],
  [`${ADMIN}ListAuditEvents`, adminWithJwt],
  [`${ADMIN}ExportAudit`, adminWithJwt],

  [`${REGISTRY}RegisterAgent`, adminWithJwt],
  [`${REGISTRY}RevokeAgent`, adminWithJwt],
  [`${REGISTRY}RotateAgentKey`, adminWithJwt],
  [`${REGISTRY}UpdateCapabilities`, adminWithJwt],
  // Self renewals are limited in the gate per agent; admin issuing per peer as well.
  [`${REGISTRY}IssueCredential`, { roles: ["admin", "agent"], adminJwt: "optional" }],
  [`${REGISTRY}ReportTelemetry`, readers],
  [`${REGISTRY}GetAgent`, readers],
  [`${REGISTRY}ListAgents`, readers],
  [`${REGISTRY}GetTrustScore`, readers],

  [`${VERIFIER}Verify`, relyingParty],
  [`${VERIFIER}VerifyStream`, relyingParty],
  [`${VERIFIER}VerifyHandshake`, relyingParty],
  [`${VERIFIER}CreateSession`, { roles: ["relying-party"], adminJwt: "none" }],
  [`${VERIFIER}GetJwks`, { roles: "any-authenticated", adminJwt: "none" }],

  ["/grpc.health.v1.Health/Check", { roles: "anyone", adminJwt: "none", limit: "none" }],
  ["/grpc.health.v1.Health/Watch", { roles: "anyone", adminJwt: "none", limit: "none" }],
  ["/grpc.health.v1.Health/List", { roles: "anyone", adminJwt: "none", limit: "none" }],

  ["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", { roles: "any-authenticated", adminJwt: "none" }],
  ["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", { roles: "any-authenticated", adminJwt: "none" }],
]);
