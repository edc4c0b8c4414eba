/**
 * The browser listener's own fail-closed method table (never the mTLS port's): what a browser without a client
 * certificate may call, and with which credential. A method missing from it is refused on the browser port.
 */
import type { LimitRule } from "./authorization-table.js";

/**
 * "public": anyone (the JWKS, health); "api-key": ExchangeToken, whose handler checks the admin API key under the
 * per-address and global failure limits; "admin-jwt": a valid admin JWT for the browser audience.
 */
export type BrowserAccess = "public" | "api-key" | "admin-jwt";

export interface BrowserMethodRule {
  readonly access: BrowserAccess;
  /** "per-peer" here means per client address (the browser port has no peer identity). */
  readonly limit: LimitRule;
}

export type BrowserMethodTable = ReadonlyMap<string, BrowserMethodRule>;

const ADMIN = "/agentidentity.v1.AdminService/";
const REGISTRY = "/agentidentity.v1.AgentRegistryService/";
const VERIFIER = "/agentidentity.v1.VerifierService/";

const PUBLIC: readonly (readonly [string, BrowserMethodRule])[] = [
  [`${VERIFIER}GetJwks`, { access: "public", limit: "per-peer" }],
  ["/grpc.health.v1.Health/Check", { access: "public", limit: "none" }],
  ["/grpc.health.v1.Health/Watch", { access: "public", limit: "none" }],
  ["/grpc.health.v1.Health/List", { access: "public", limit: "none" }],
];

const adminJwt: BrowserMethodRule = { access: "admin-jwt", limit: "per-peer" };

/**
 * What the operator console needs (BROWSER_ADMIN). Not here on purpose: IssueCredential (an agent renews itself over
 * mTLS), ReportTelemetry (relying parties report over mTLS), Verify, VerifyHandshake, CreateSession (relying
 * parties) and reflection.
 */
const ADMIN_METHODS: readonly (readonly [string, BrowserMethodRule])[] = [
  [`${ADMIN}ExchangeToken`, { access: "api-key", limit: "per-peer" }],
  [`${ADMIN}CreateOrg`, adminJwt],
  [`${ADMIN}GetOrg`, adminJwt],
  [`${ADMIN}ListOrgs`, adminJwt],
  [`${ADMIN}ListAuditEvents`, adminJwt],
  [`${ADMIN}ExportAudit`, adminJwt],
  [`${REGISTRY}RegisterAgent`, adminJwt],
  [`${REGISTRY}GetAgent`, adminJwt],
  [`${REGISTRY}ListAgents`, adminJwt],
  [`${REGISTRY}RevokeAgent`, adminJwt],
  [`${REGISTRY}RotateAgentKey`, adminJwt],
  [`${REGISTRY}UpdateCapabilities`, adminJwt],
  [`${REGISTRY}GetTrustScore`, adminJwt],
];

/** The table for this configuration: the public methods, plus the console's admin methods when `admin` is on. */
export function browserMethodTable(admin: boolean): BrowserMethodTable {
  return new Map([...PUBLIC, ...(admin ? ADMIN_METHODS : [])]);
}
