/** DATABASE_POOL_MODE: parsed and checked with DATABASE_URL at load; where the timeouts go in each mode; the CLIs' reading. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolModeFromEnv, sessionPlan } from "../../src/adapters/sql/pool-mode.js";
import { issuerRevoke } from "../../src/cli/issuer-revoke.js";
import { prepareDevelopmentMaterial, type DevMaterial } from "../../src/config/dev-material.js";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";

let dir: string;
let material: DevMaterial;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aid-pool-mode-"));
  material = await prepareDevelopmentMaterial(join(dir, "dev"), () => undefined);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const development = (env: Record<string, string>) => loadConfig({ APP_ENV: "development", ...env }, { devMaterial: material, baseDir: dir });

function problemsOf(env: Record<string, string>): ConfigError["problems"] {
  try {
    development(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("the configuration was accepted");
}

describe("DATABASE_POOL_MODE", () => {
  it("is direct by default and transaction when asked", () => {
    expect(development({ DATABASE_URL: "postgres://app@db:5432/aid" }).storage.poolMode).toBe("direct");
    const behind = development({ DATABASE_URL: "postgres://app@pgbouncer:6432/aid?sslmode=require&application_name=aid", DATABASE_POOL_MODE: "transaction" });
    expect(behind.storage.poolMode).toBe("transaction");
  });

  it("refuses an unknown mode, naming the variable and the choices", () => {
    expect(problemsOf({ DATABASE_POOL_MODE: "session" })).toEqual([{ variable: "DATABASE_POOL_MODE", message: "must be one of direct, transaction" }]);
  });

  it("refuses, with transaction, URL parameters sent at connect that PgBouncer refuses or drops", () => {
    const url = "postgres://app@pgbouncer:6432/aid?options=-c%20search_path%3Dx&statement_timeout=100";
    expect(problemsOf({ DATABASE_URL: url, DATABASE_POOL_MODE: "transaction" })).toEqual([
      { variable: "DATABASE_URL", message: expect.stringMatching(/^has options, statement_timeout, sent at connect, .*ALTER ROLE/) },
    ]);
    expect(development({ DATABASE_URL: url }).storage.poolMode).toBe("direct");
  });

  it("direct sends the timeouts at connect; transaction sends none and sets them per transaction in the BEGIN round trip", () => {
    expect(sessionPlan("direct", 5000)).toEqual({ startup: { statement_timeout: 5000, idle_in_transaction_session_timeout: 10_000 }, begin: "BEGIN" });
    expect(sessionPlan("transaction", 300)).toEqual({
      startup: {},
      begin: "BEGIN; SET LOCAL statement_timeout = 300; SET LOCAL idle_in_transaction_session_timeout = 1000",
    });
  });

  it("is read the same way by the command-line tools (migrate, issuer:revoke)", async () => {
    expect(poolModeFromEnv(undefined)).toBe("direct");
    expect(poolModeFromEnv(" ")).toBe("direct");
    expect(poolModeFromEnv("transaction")).toBe("transaction");
    expect(() => poolModeFromEnv("pgbouncer")).toThrow("DATABASE_POOL_MODE must be one of direct, transaction");
    const errors: string[] = [];
    const env = { DATABASE_URL: "postgres://app@127.0.0.1:1/aid", DATABASE_POOL_MODE: "pgbouncer" };
    expect(await issuerRevoke(["--list"], env, () => undefined, (line) => errors.push(line))).toBe(2);
    expect(errors).toEqual(["issuer:revoke: DATABASE_POOL_MODE must be one of direct, transaction"]);
  });
});
