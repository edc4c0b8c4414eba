/** A real server on port 0 with test routes, a test authorization table and clients with chosen certificates. */
import { CONNECTION_LIMIT_DEFAULTS } from "../../../src/config/connection-limits.js";
import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import type { DescService } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import type { Client, ConnectRouter } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
import { GetJwksResponseSchema, VerifierService, VerifyResponseSchema } from "../../../gen/agentidentity/v1/verifier_pb.js";
import type { Config } from "../../../src/config/types.js";
import { DomainError, invalidField } from "../../../src/domain/errors.js";
import type { AdminPrincipal } from "../../../src/domain/peer.js";
import type { AdminAuthenticator } from "../../../src/server/admin-authenticator.js";
import { AUTHORIZATION_TABLE } from "../../../src/server/authorization-table.js";
import { adminPrincipalKey, peerKey } from "../../../src/server/context.js";
import { HealthRegistry } from "../../../src/server/health-registry.js";
import { startServer } from "../../../src/server/server.js";
import type { RunningServer } from "../../../src/server/server.js";
import { createLogger } from "../../../src/telemetry/logger.js";
import type { Logger } from "../../../src/telemetry/logger.js";
import { createMetrics } from "../../../src/telemetry/metrics.js";
import type { Metrics } from "../../../src/telemetry/metrics.js";
import type { KeyPairPem, TestPki } from "../../support/tls.js";

/** Left out of the test authorization table on purpose (implemented by the test routes). */
export const METHOD_NOT_IN_TABLE = "/agentidentity.v1.VerifierService/CreateSession";

export const GOOD_ADMIN_JWT = "Bearer good-admin-token";

export function testConfig(pki: TestPki, overrides: Partial<Config["peers"]> = {}): Config {
  const td = pki.trustDomain;
  return {
    mode: "development",
    workers: 1,
    logLevel: "debug",
    listen: { host: "127.0.0.1", grpcPort: 0, browserPort: 0, sidecarPort: 0 },
    tls: { certFile: "", keyFile: "", clientCaFile: "" },
    peers: {
      trustDomain: td,
      roleRules: [
        { prefix: `spiffe://${td}/admin/`, role: "admin" },
        { prefix: `spiffe://${td}/rp/`, role: "relying-party" },
        { prefix: `spiffe://${td}/agent/`, role: "agent" },
      ],
      allowCnIdentity: false,
      relyingPartyAudiences: new Map(),
      relyingPartyOrgs: new Map(),
      ...overrides,
    },
    admin: { apiKeyHashes: [], jwtPrivateJwkFile: "", jwtMaxTtlSeconds: 900 },
    issuer: { issuerUrl: "https://issuer.test", privateJwkFile: undefined, kms: undefined, credentialTtlSeconds: 600, auditCheckpointIntervalSeconds: 60, renewalsPerMinute: 10 },
    storage: { databaseUrl: undefined, statementTimeoutMs: 5000, poolMode: "direct", pgliteDataDir: "", redisUrl: undefined, redisKeyPrefix: "t:" },
    verify: { proofMaxAgeSeconds: 60, proofFutureSkewSeconds: 5, rateLimitPerMinute: 600, agentRateLimitPerMinute: 600, sessionTtlSeconds: 300, proposalTtlSeconds: 120, agentStateMaxStalenessSeconds: 5 },
    health: { signerProbeIntervalSeconds: 30, dependencyProbeIntervalSeconds: 5 },
    api: { rateLimitPerMinute: 600 },
    browser: { corsAllowedOrigins: ["https://console.test"], admin: false, adminJwtTtlSeconds: 600, consoleDir: "" },
    limits: { ...CONNECTION_LIMIT_DEFAULTS },
    serving: { grpcFastPath: true },
    devDir: "",
    deprecations: [],
  };
}

/** Accepts exactly GOOD_ADMIN_JWT from a peer, like the real authenticator accepts a valid bound token. */
export class TestAdminAuthenticator implements AdminAuthenticator {
  calls = 0;
  async authenticate(peer: Parameters<AdminAuthenticator["authenticate"]>[0], authorization: string | undefined): Promise<AdminPrincipal> {
    this.calls++;
    if (authorization === undefined) throw new DomainError("unauthenticated", "admin.jwt_missing", "admin token required");
    if (authorization !== GOOD_ADMIN_JWT) throw new DomainError("unauthenticated", "admin.jwt_invalid", "admin token invalid");
    return { subject: peer?.identity ?? "browser", orgId: undefined, tokenId: "tok-1" };
  }
}

/** A gate a handler waits on until the test opens it (no timers). */
export class Gate {
  private release: (() => void) | undefined;
  private readonly opened: Promise<void>;
  private enteredResolve: (() => void) | undefined;
  /** Resolves once a handler waits on the gate. */
  readonly entered: Promise<void>;
  constructor() {
    this.opened = new Promise((r) => (this.release = r));
    this.entered = new Promise((r) => (this.enteredResolve = r));
  }
  wait(): Promise<void> {
    this.enteredResolve?.();
    return this.opened;
  }
  open(): void {
    this.release?.();
  }
}

export interface Harness {
  readonly server: RunningServer;
  readonly metrics: Metrics;
  readonly health: HealthRegistry;
  readonly logs: Record<string, unknown>[];
  readonly admin: TestAdminAuthenticator;
  gate: Gate;
  /** Calls reaching the test handlers. */
  handled: number;
}

/** The test routes: GetJwks, Verify (behaviour chosen by `scope`), CreateSession (missing from the table), GetOrg. */
function testRoutes(h: { gate: Gate; handled: number }): (router: ConnectRouter) => void {
  return (router) => {
    router.service(VerifierService, {
      getJwks() {
        h.handled++;
        return create(GetJwksResponseSchema, { keys: [], jwksJson: '{"keys":[]}' });
      },
      async verify(req, ctx) {
        h.handled++;
        switch (req.scope) {
          case "internal":
            throw new Error("database password=hunter2 refused");
          case "invalid":
            throw invalidField("verify.scope_invalid", "scope", "must be a known scope");
          case "rate":
            throw new DomainError("resource_exhausted", "verify.rate_limited", "rate limit exceeded", { retryAfterMs: 1500 });
          case "wait":
            await h.gate.wait();
            break;
          default:
            break;
        }
        return create(VerifyResponseSchema, { valid: true, reasonCode: ctx.values.get(peerKey)?.identity ?? "none" });
      },
      createSession() {
        h.handled++;
        return { sessionToken: "t", sessionId: "s" };
      },
    });
    // Declared with no methods: every RPC answers UNIMPLEMENTED (the real handlers come later).
    router.service(AgentRegistryService, {});
    router.service(AdminService, {
      getOrg(_req, ctx) {
        h.handled++;
        const principal = ctx.values.get(adminPrincipalKey);
        return { org: { id: "org_x", name: principal?.subject ?? "no principal" } };
      },
    });
  };
}

export async function startHarness(pki: TestPki, config = testConfig(pki)): Promise<Harness> {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const logger: Logger = createLogger({ level: "debug", destination });
  const metrics = createMetrics({ processMetrics: true });
  const health = new HealthRegistry({ onCheckResult: (name, ok) => metrics.dependencyUp.set({ dependency: name }, ok ? 1 : 0) });
  health.declare("database");
  health.report("database", { ok: true });
  const admin = new TestAdminAuthenticator();
  const table = new Map(AUTHORIZATION_TABLE);
  table.delete(METHOD_NOT_IN_TABLE);
  const state = { gate: new Gate(), handled: 0 };
  const server = await startServer({
    config,
    logger,
    metrics,
    health,
    adminAuthenticator: admin,
    routes: testRoutes(state),
    jwks: async () => ({ keys: [] }),
    authorizationTable: table,
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert },
  });
  return Object.assign(state, { server, metrics, health, logs, admin }) as Harness;
}

/** A Connect-node gRPC client over mTLS with the given client certificate; `close()` ends its HTTP/2 session. */
export function mtlsClient<S extends DescService>(
  service: S,
  port: number,
  pki: TestPki,
  identity: KeyPairPem | undefined,
): { client: Client<S>; close(): void } {
  const baseUrl = `https://localhost:${port}`;
  const tls = { ca: pki.ca.cert, ...(identity === undefined ? {} : { cert: identity.cert, key: identity.key }) };
  const sessionManager = new Http2SessionManager(baseUrl, undefined, tls);
  const transport = createGrpcTransport({ baseUrl, nodeOptions: tls, sessionManager });
  return { client: createClient(service, transport), close: () => sessionManager.abort() };
}
