/** The validated, frozen configuration every part of the service reads (built by load.ts from the environment). */
import type { Role } from "../domain/peer.js";

export type Mode = "development" | "production";

/** A SPIFFE ID path prefix (full ID prefix, e.g. "spiffe://example.org/admin/") granting a role. */
export interface RoleRule {
  readonly prefix: string;
  readonly role: Role;
}

export interface Config {
  readonly mode: Mode;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /**
   * Server processes sharing the listening ports (WORKERS; production default: the CPUs the process may use,
   * cgroup quota included; development default 1). More than 1 needs DATABASE_URL and REDIS_URL.
   */
  readonly workers: number;
  readonly listen: {
    readonly host: string;
    /** mTLS gRPC / gRPC-Web / Connect port (GRPC_PORT, default 8443; 0 picks a free port). */
    readonly grpcPort: number;
    /** Browser port: TLS without client certificates, CORS allow-list (BROWSER_PORT, default 8444). */
    readonly browserPort: number;
    /** Cluster-internal plain HTTP/1.1 + h2c sidecar (SIDECAR_PORT, default 8080). */
    readonly sidecarPort: number;
  };
  readonly tls: {
    readonly certFile: string;
    readonly keyFile: string;
    /** CA bundle that client certificates must chain to. */
    readonly clientCaFile: string;
  };
  readonly peers: {
    /** SPIFFE trust domain, e.g. "agent-identity.local". */
    readonly trustDomain: string;
    /** Longest matching prefix wins; a peer may hold several roles when several rules match. */
    readonly roleRules: readonly RoleRule[];
    /** Accept a certificate without a URI SAN by its subject CN, as "cn:<name>" (CN identities get roles by
     * rules whose prefix starts with "cn:"). */
    readonly allowCnIdentity: boolean;
    /** Extra proof audiences a relying party may verify, by relying-party identity. */
    readonly relyingPartyAudiences: ReadonlyMap<string, readonly string[]>;
    /** Organisations whose agents a relying party may read, by relying-party identity ("*" = all). */
    readonly relyingPartyOrgs: ReadonlyMap<string, readonly string[]>;
  };
  readonly admin: {
    /** SHA-256 of each accepted admin API key (current and next), compared in constant time. */
    readonly apiKeyHashes: readonly Uint8Array[];
    /** Private JWK file of the admin-token signing key. */
    readonly jwtPrivateJwkFile: string;
    /** Admin JWT lifetime ceiling in seconds (<= 900). */
    readonly jwtMaxTtlSeconds: number;
  };
  readonly issuer: {
    /** The "iss" of every token this service signs, and the audience of renewal proofs. */
    readonly issuerUrl: string;
    readonly privateJwkFile: string | undefined;
    readonly kms: { readonly keyArn: string; readonly region: string; readonly endpoint: string | undefined } | undefined;
    readonly credentialTtlSeconds: number;
    /** How often the head of the audit chain is signed. */
    readonly auditCheckpointIntervalSeconds: number;
    /** Self renewals (IssueCredential with a renewal proof) per agent and minute (RENEWALS_PER_MINUTE). */
    readonly renewalsPerMinute: number;
  };
  readonly storage: {
    /** Postgres URL; undefined means embedded PGlite in pgliteDataDir. */
    readonly databaseUrl: string | undefined;
    /** Postgres statement timeout: a stalled statement fails as unavailable after this (DB_STATEMENT_TIMEOUT_MS). */
    readonly statementTimeoutMs: number;
    /**
     * direct: DATABASE_URL reaches Postgres itself; transaction: a pooler such as PgBouncer (timeouts per transaction,
     * the database's own statement_timeout bounds single statements) (DATABASE_POOL_MODE).
     */
    readonly poolMode: "direct" | "transaction";
    readonly pgliteDataDir: string;
    /** Redis URL; undefined means in-memory nonce store, rate limiter and invalidation bus. */
    readonly redisUrl: string | undefined;
    readonly redisKeyPrefix: string;
  };
  readonly verify: {
    /** A proof older than this is stale (PROOF_MAX_AGE_SECONDS, default 60). */
    readonly proofMaxAgeSeconds: number;
    /** A proof dated further ahead than this is refused; also the restart window (PROOF_FUTURE_SKEW_SECONDS, default 5). */
    readonly proofFutureSkewSeconds: number;
    /** Global per-caller limit (RATE_LIMIT_PER_MINUTE). */
    readonly rateLimitPerMinute: number;
    /** Per-agent limit (AGENT_RATE_LIMIT_PER_MINUTE). */
    readonly agentRateLimitPerMinute: number;
    readonly sessionTtlSeconds: number;
    /** How long a VerifyHandshake proposal may be turned into a session (HANDSHAKE_PROPOSAL_TTL_SECONDS). */
    readonly proposalTtlSeconds: number;
    /** The oldest cached agent state a replica decides on (AGENT_STATE_MAX_STALENESS_SECONDS, default 5). */
    readonly agentStateMaxStalenessSeconds: number;
  };
  readonly api: {
    /** Per-peer limit of every other RPC (admin, registry, JWKS), per method and replica (API_RATE_LIMIT_PER_MINUTE). */
    readonly rateLimitPerMinute: number;
  };
  readonly health: {
    /** How often the signer makes a throw-away signature for readiness (SIGNER_PROBE_INTERVAL_SECONDS). */
    readonly signerProbeIntervalSeconds: number;
    /** How often Postgres and Redis are probed for readiness (DEPENDENCY_PROBE_INTERVAL_SECONDS). */
    readonly dependencyProbeIntervalSeconds: number;
  };
  readonly browser: {
    readonly corsAllowedOrigins: readonly string[];
    /** Admin RPCs and the console on the browser port (BROWSER_ADMIN; development default on, production off). */
    readonly admin: boolean;
    /** Lifetime of browser admin JWTs, seconds (BROWSER_ADMIN_JWT_TTL_SECONDS, default 600, <= the admin maximum). */
    readonly adminJwtTtlSeconds: number;
    /** The built console served at /console/ (CONSOLE_DIR, default console/dist; `npm run build:console`). */
    readonly consoleDir: string;
  };
  /** Every listener's connection limits (see src/config/connection-limits.ts). */
  readonly limits: {
    /** A TLS handshake (or, on the sidecar, a first request) must complete within this. */
    readonly handshakeTimeoutMs: number;
    /** A connection (HTTP/2 session or socket) with no traffic for this long is closed. */
    readonly idleTimeoutMs: number;
    /** HTTP/1.1: a request head must arrive within this after connecting or after the previous response. */
    readonly headersTimeoutMs: number;
    /** A request body must be complete within this after its head (the response may stream longer). */
    readonly requestTimeoutMs: number;
    /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; streams beyond it are refused. */
    readonly maxConcurrentStreams: number;
    /** Open connections from one remote address, per listener and replica; more are closed at once. */
    readonly maxConnectionsPerPeer: number;
  };
  readonly serving: {
    /**
     * Unary gRPC calls on the mTLS port are served by the lean fast path (src/server/grpc-unary-front.ts) with the
     * same interceptors and handlers; everything else by Connect (GRPC_FAST_PATH, default true).
     */
    readonly grpcFastPath: boolean;
  };
  /** Where development material is generated (certs/dev). */
  readonly devDir: string;
  /** Deprecated variables in use, one notice each (logged at start). */
  readonly deprecations: readonly string[];
}
