// The real process (src/main.ts) refusing to start: one line naming the cause and the setting, exit 1, no stack trace unless LOG_LEVEL=debug.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockPathFor } from "../../src/adapters/sql/pglite-lock.js";
import { prepareDevelopmentMaterial } from "../../src/config/dev-material.js";
import { projectRoot } from "../../src/config/project-root.js";
import { postgresOnlyTarget } from "../support/databases.js";

const START_TIMEOUT_MS = 60_000;

/** Our environment minus anything that points at shared Postgres/Redis or real material, plus a dev setup on port 0. */
function childEnv(devDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(DATABASE_URL|REDIS_URL|REDIS_KEY_PREFIX|TLS_|ADMIN_|ISSUER_|KMS_|AWS_|PEER_ROLES|RELYING_PARTY_|PGLITE_|LOG_LEVEL)/.test(k)) env[k] = v;
  }
  return {
    ...env,
    APP_ENV: "development",
    HOST: "127.0.0.1",
    GRPC_PORT: "0",
    BROWSER_PORT: "0",
    SIDECAR_PORT: "0",
    PGLITE_DATA_DIR: "memory://",
    DEV_DIR: devDir,
    LOG_LEVEL: "info",
    ...extra,
  };
}

function start(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: projectRoot(), env, stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs the service until it exits (or the deadline kills it); returns its exit code and stderr. */
function runToExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = start(env);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout!.resume();
    const timer = setTimeout(() => child.kill("SIGKILL"), START_TIMEOUT_MS - 5_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Asserts the refusal: exit 1, exactly one stderr line, matching every pattern, without a stack trace. */
function expectOneLine(result: { code: number | null; stderr: string }, ...patterns: RegExp[]): string {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  for (const p of patterns) expect(lines[0]).toMatch(p);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe("start-up errors of the real process", () => {
  let dir: string;
  let devDir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aid-startup-"));
    devDir = join(dir, "dev");
    await prepareDevelopmentMaterial(devDir, () => undefined);
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  describe("a port in use", () => {
    let blocker: Server;
    let port: number;
    beforeAll(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      port = (blocker.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it("names the port and its variable", async () => {
      const result = await runToExit(childEnv(devDir, { SIDECAR_PORT: String(port) }));
      expectOneLine(result, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`), /SIDECAR_PORT/);
    }, START_TIMEOUT_MS);

    it("adds the stack trace at LOG_LEVEL=debug", async () => {
      const result = await runToExit(childEnv(devDir, { GRPC_PORT: String(port), LOG_LEVEL: "debug" }));
      expect(result.code).toBe(1);
      expect(result.stderr.split("\n")[0]).toMatch(/already in use \(GRPC_PORT\)/);
      expect(result.stderr).toMatch(/^\s+at /m);
    }, START_TIMEOUT_MS);
  });

  it("an unreachable database names DATABASE_URL, never its password", async () => {
    const result = await runToExit(childEnv(devDir, { DATABASE_URL: "postgres://app:hunter2-secret@127.0.0.1:1/identity" }));
    const line = expectOneLine(result, /cannot reach the database at 127\.0\.0\.1:1\/identity as app/, /ECONNREFUSED/, /DATABASE_URL/);
    expect(line).not.toContain("hunter2");
  }, START_TIMEOUT_MS);

  it("an unreachable Redis names REDIS_URL", async () => {
    const result = await runToExit(childEnv(devDir, { REDIS_URL: "redis://127.0.0.1:1" }));
    expectOneLine(result, /cannot reach Redis at 127\.0\.0\.1:1/, /ECONNREFUSED/, /REDIS_URL/);
  }, START_TIMEOUT_MS);

  it("a missing or unreadable key file names its variable", async () => {
    const missing = await runToExit(childEnv(devDir, { ISSUER_PRIVATE_JWK_FILE: join(dir, "no-such-key.json") }));
    expectOneLine(missing, /ISSUER_PRIVATE_JWK_FILE/, /no-such-key\.json does not exist/);
    const notAFile = join(dir, "a-directory");
    mkdirSync(notAFile, { recursive: true });
    const unreadable = await runToExit(childEnv(devDir, { ADMIN_JWT_PRIVATE_JWK_FILE: notAFile }));
    expectOneLine(unreadable, /ADMIN_JWT_PRIVATE_JWK_FILE/, /a-directory is not a regular file/);
  }, START_TIMEOUT_MS);

  it("a second service on the same PGlite directory is refused; the lock goes with the first", async () => {
    const dataDir = join(dir, "pglite");
    const env = childEnv(devDir, { PGLITE_DATA_DIR: dataDir });
    const first = start(env);
    const exited = new Promise<number | null>((resolve) => first.once("exit", (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        let out = "";
        first.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes('"agent identity service listening"')) resolve();
        });
        void exited.then((code) => reject(new Error(`the first service exited (${code}) before listening`)));
      });
      const second = await runToExit(env);
      expectOneLine(second, new RegExp(`${dataDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is in use by process ${first.pid}`), /PGLITE_DATA_DIR/);
      first.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(existsSync(lockPathFor(dataDir))).toBe(false);
    } finally {
      if (first.exitCode === null && first.signalCode === null) first.kill("SIGKILL");
    }
  }, START_TIMEOUT_MS * 2);

  const postgres = postgresOnlyTarget();
  it.skipIf(postgres === undefined)("a database role without privileges names DATABASE_URL and the runbook section", async () => {
    const adminUrl = process.env.TEST_DATABASE_URL!;
    const suffix = randomBytes(6).toString("hex");
    const role = `aid_noprivs_${suffix}`;
    const database = `aid_noprivs_${suffix}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      // Owned by postgres: the role may connect (PUBLIC) but not create in schema public (Postgres 15+).
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(adminUrl);
      url.username = role;
      url.pathname = `/${database}`;
      const result = await runToExit(childEnv(devDir, { DATABASE_URL: url.toString() }));
      expectOneLine(result, /the database role lacks privileges on .* as aid_noprivs_/, /permission denied for schema public/, /DATABASE_URL/, /Database role/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  }, START_TIMEOUT_MS);
});
