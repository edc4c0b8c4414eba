// The production build (dist/, `npm run start:prod`'s command) as a real process with a complete production
// configuration on real Postgres and Redis: readiness, health SERVING, the pilot smoke, SIGTERM -> exit 0.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { testMaterial } from "../support/app-harness.js";
import { postgresOnlyTarget, redisTarget, type RedisTarget, type TestDatabase } from "../support/databases.js";
import { ensureBuild, MAIN, parseReport, pilotEnv, REPO_ROOT, runChild, TSX } from "./support.js";
import { freePort } from "../support/free-port.js";

const RATE_LIMIT = 30;

const postgres = postgresOnlyTarget();
const redis = redisTarget();
const missing = [postgres === undefined ? "TEST_DATABASE_URL" : "", redis === undefined ? "TEST_REDIS_URL" : ""].filter((s) => s !== "");


async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Polls /readyz until 200, the process exits, or the deadline passes. */
async function waitReady(sidecarPort: number, child: ChildProcess, output: () => string, deadlineMs = 90_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last = "no answer";
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready:\n${output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${sidecarPort}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`/readyz not 200 within ${deadlineMs} ms (last: ${last}):\n${output()}`);
}

describe.skipIf(missing.length > 0)(
  `production build with real Postgres and Redis${missing.length > 0 ? ` (skipped: ${missing.join(" and ")} not set; CI sets them)` : ""}`,
  () => {
    let material: DevMaterial;
    let database: TestDatabase;
    let redisTargetInUse: RedisTarget;
    let child: ChildProcess | undefined;
    let output = "";
    let ports: { grpc: number; browser: number; sidecar: number };
    const adminApiKey = randomBytes(24).toString("base64url");

    beforeAll(async () => {
      ensureBuild();
      material = await testMaterial();
      database = await postgres!.open({ migrate: false });
      redisTargetInUse = redis!;
      const [grpc, browser, sidecar] = await distinctFreePorts(3);
      ports = { grpc: grpc!, browser: browser!, sidecar: sidecar! };
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "",
        APP_ENV: "production",
        HOST: "127.0.0.1",
        GRPC_PORT: String(ports.grpc),
        BROWSER_PORT: String(ports.browser),
        SIDECAR_PORT: String(ports.sidecar),
        LOG_LEVEL: "warn",
        TLS_CERT_FILE: material.serverCertFile,
        TLS_KEY_FILE: material.serverKeyFile,
        TLS_CLIENT_CA_FILE: material.caCertFile,
        ISSUER_PRIVATE_JWK_FILE: material.issuerJwkFile,
        ADMIN_JWT_PRIVATE_JWK_FILE: material.adminTokenJwkFile,
        ADMIN_API_KEYS: adminApiKey,
        DATABASE_URL: database.url!,
        REDIS_URL: redisTargetInUse.url,
        REDIS_KEY_PREFIX: redisTargetInUse.prefix,
        RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
        AGENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
        // Sign the audit head every second so the smoke's export carries checkpoints to verify.
        AUDIT_CHECKPOINT_INTERVAL_SECONDS: "1",
      };
      child = spawn(process.execPath, [MAIN], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      await waitReady(ports.sidecar, child, () => output);
    }, 420_000);

    afterAll(async () => {
      if (child !== undefined && child.exitCode === null) {
        child.kill("SIGKILL");
        await new Promise((r) => child!.once("exit", r));
      }
      await database?.dispose();
      await redisTargetInUse?.cleanup();
      if (material !== undefined) rmSync(join(material.dir, ".."), { recursive: true, force: true });
    });

    it("answers health Check SERVING on the h2c sidecar", async () => {
      const baseUrl = `http://127.0.0.1:${ports.sidecar}`;
      const sessionManager = new Http2SessionManager(baseUrl);
      try {
        const health = createClient(Health, createGrpcTransport({ baseUrl, sessionManager }));
        const res = await health.check({ service: "" });
        expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      } finally {
        sessionManager.abort();
      }
    });

    it("passes the pilot smoke", async () => {
      const env = { ...pilotEnv(material, ports.grpc, RATE_LIMIT), PILOT_ADMIN_API_KEY: adminApiKey };
      delete (env as Record<string, string | undefined>).PILOT_ADMIN_API_KEY_FILE;
      const run = await runChild(TSX, ["src/cli/pilot-smoke.ts"], env);
      expect(run.stderr, output).toBe("");
      expect(run.code).toBe(0);
      const report = parseReport(run.stdout);
      expect(report.ok).toBe(true);
      expect(report.org_id).toMatch(/^org_/);
      expect(report.agent_id).toMatch(/^agt_/);
      const steps = report.steps as Record<string, Record<string, unknown>>;
      expect(steps.rate_limit!.code).toBe("RESOURCE_EXHAUSTED");
      expect(steps.revoke!.reason_code).toBe("revoked");
      expect(steps.audit_export!.chain).toBe("verified");
    }, 180_000);

    it("stops on SIGTERM with exit code 0", async () => {
      const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
      child!.kill("SIGTERM");
      expect(await exited, output).toBe(0);
    }, 60_000);
  },
);
