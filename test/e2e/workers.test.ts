/**
 * WORKERS=2 on real Postgres and Redis (the real process, src/main.ts): the primary's sidecar answers for both
 * workers, a revocation and an issuer-key rotation reach every worker, a killed worker is replaced while the
 * service keeps answering, SIGTERM drains them all.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { buildApp, type App } from "../../src/app.js";
import { createP256PrivateJwk } from "../../src/config/dev-keys.js";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import { registerAgent, verifyOnce } from "../support/agents.js";
import { startClusterProcess, type ClusterProcess, type LogLine } from "../support/cluster-process.js";
import { postgresOnlyTarget, redisTarget, type RedisTarget, type TestDatabase } from "../support/databases.js";
import { testEnvironment, testMaterial } from "../support/service-under-test.js";
import { metricValue } from "../support/wire.js";

const postgres = postgresOnlyTarget();
const redis: RedisTarget | undefined = postgres === undefined ? undefined : redisTarget();
const runnable = postgres !== undefined && redis !== undefined;
/** Fresh connections per check: node:cluster hands connections to the two workers in turn, so both answer. */
const CONNECTIONS = 4;

const workerPids = (lines: readonly LogLine[]): number[] => lines.filter((l) => l.msg === "worker started").map((l) => l.pid as number);

describe.skipIf(!runnable)("WORKERS=2 on real Postgres and Redis (skipped without TEST_DATABASE_URL and TEST_REDIS_URL)", () => {
  let material: DevMaterial;
  let database: TestDatabase;
  let env: Record<string, string>;
  let service: ClusterProcess;

  beforeAll(async () => {
    material = await testMaterial();
    database = await postgres!.open({ migrate: false });
    env = testEnvironment(material, {
      WORKERS: "2",
      DATABASE_URL: database.url!,
      REDIS_URL: redis!.url,
      REDIS_KEY_PREFIX: redis!.prefix,
      DEV_DIR: material.dir,
      LOG_LEVEL: "info",
      // Long enough that only the invalidation bus can explain a prompt refusal on the other worker.
      AGENT_STATE_MAX_STALENESS_SECONDS: "120",
    });
    service = await startClusterProcess(material, env);
  }, 60_000);

  afterAll(async () => {
    const pids = service === undefined ? [] : workerPids(service.lines);
    await service?.kill();
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone (the expected case: workers exit with their primary).
      }
    }
    await database?.dispose();
    await redis?.cleanup();
    if (material !== undefined) rmSync(join(material.dir, ".."), { recursive: true, force: true });
  });

  const sidecar = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${service.sidecarPort}${path}`);

  it("the primary's sidecar reports both workers: readiness, merged metrics, gRPC health, JWKS", async () => {
    expect(workerPids(service.lines)).toHaveLength(2);
    await expect.poll(async () => (await sidecar("/readyz")).status, { timeout: 10_000 }).toBe(200);
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.sidecarPort}` }));
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
    // Two verify calls over two connections: one per worker, both counted in the one scrape.
    const agent = await registerAgent(service);
    for (let i = 0; i < 2; i++) expect((await verifyOnce(service, service.verifier(), agent.key, agent.credential)).reasonCode).toBe("verified");
    const text = await (await sidecar("/metrics")).text();
    expect(metricValue(text, "agent_identity_workers_running")).toBe(2);
    expect(metricValue(text, "agent_identity_verify_total", { result: "success", reason: "verified" })).toBe(2);
    expect(metricValue(text, "agent_identity_dependency_up", { dependency: "redis" })).toBe(1);
    const jwks = (await (await sidecar("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
  });

  it("an agent revoked through one worker is refused through every worker at once (the Redis invalidation bus)", async () => {
    const admin = await service.adminClients();
    const agent = await registerAgent(service, { registry: admin.registry, orgId: (await admin.admin.createOrg({ name: "Workers" })).org!.id });
    // Warm the agent-state cache of both workers.
    for (let i = 0; i < CONNECTIONS; i++) expect((await verifyOnce(service, service.verifier(), agent.key, agent.credential)).reasonCode).toBe("verified");
    await admin.registry.revokeAgent({ agentId: agent.agentId, reason: "workers test" });
    for (let i = 0; i < CONNECTIONS; i++) {
      await expect.poll(async () => (await verifyOnce(service, service.verifier(), agent.key, agent.credential)).reasonCode, { timeout: 2_000, interval: 10 }).toBe("revoked");
    }
  });

  it("an issuer key made active by another replica's start is published and trusted by every worker", async () => {
    const keyFile = join(material.dir, "rotated-issuer.jwk.json");
    const jwk = await createP256PrivateJwk();
    writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
    const replicaConfig = loadConfig({ ...env, WORKERS: "1", ISSUER_PRIVATE_JWK_FILE: keyFile }, { devMaterial: material });
    let replica: App | undefined;
    try {
      replica = await buildApp(replicaConfig, { logger: pino({ level: "silent" }), processMetrics: false });
      for (let i = 0; i < CONNECTIONS; i++) {
        await expect
          .poll(async () => JSON.parse((await service.verifier().getJwks({})).jwksJson).keys[0].kid as string, { timeout: 2_000, interval: 10 })
          .toBe(jwk.kid);
      }
    } finally {
      await replica?.stop(2_000);
    }
  });

  it("a worker killed with SIGKILL is replaced, and the other worker keeps answering meanwhile", async () => {
    const [victim, survivor] = workerPids(service.lines);
    process.kill(victim!, "SIGKILL");
    // node:cluster may hand a connection that arrives while the worker is dying (before the primary sees its
    // exit, a few milliseconds) to that worker, where it is lost: new connections from the primary's notice on.
    await service.waitForLine((l) => l.msg === "worker exited unexpectedly; replacing it" && l.pid === victim, 5_000);
    const agent = await registerAgent(service);
    for (let i = 0; i < CONNECTIONS; i++) expect((await verifyOnce(service, service.verifier(), agent.key, agent.credential)).reasonCode).toBe("verified");
    const replaced = await service.waitForLine((l) => l.msg === "worker serving" && l.pid !== victim && l.pid !== survivor, 30_000);
    expect(replaced.pid).toEqual(expect.any(Number));
    await expect.poll(async () => (await sidecar("/readyz")).status, { timeout: 5_000 }).toBe(200);
    for (let i = 0; i < CONNECTIONS; i++) expect((await verifyOnce(service, service.verifier(), agent.key, agent.credential)).reasonCode).toBe("verified");
    const text = await (await sidecar("/metrics")).text();
    expect(metricValue(text, "agent_identity_worker_restarts_total")).toBe(1);
    expect(metricValue(text, "agent_identity_workers_running")).toBe(2);
  });

  it("SIGTERM to the primary drains every worker and exits 0", async () => {
    const pids = workerPids(service.lines);
    service.child.kill("SIGTERM");
    const { code, signal } = await service.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    const stoppedWorkers = service.lines.filter((l) => l.msg === "stopped" && typeof l.pid === "number").map((l) => l.pid);
    // The two serving workers (the killed one never got to stop) ran their own drain.
    expect(stoppedWorkers).toHaveLength(2);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
