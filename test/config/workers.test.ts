/** WORKERS: the production default follows the usable CPUs, development's is 1, more than 1 needs Postgres and Redis. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareDevelopmentMaterial, type DevMaterial } from "../../src/config/dev-material.js";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";
import { productionEnvironment } from "../support/production-env.js";

let root: string;
let material: DevMaterial;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "aid-workers-config-"));
  material = await prepareDevelopmentMaterial(join(root, "material"), () => undefined);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function production(extra: Record<string, string> = {}): Record<string, string> {
  return productionEnvironment(material, extra);
}

function problems(env: Record<string, string>, cpus = 4): { variable: string; message: string }[] {
  try {
    loadConfig(env, { baseDir: root, devMaterial: material, usableCpus: () => cpus });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => ({ variable: p.variable, message: p.message }));
    throw e;
  }
  return [];
}

describe("WORKERS", () => {
  it("defaults to the usable CPUs in production (cgroup quota included) and to 1 in development", () => {
    expect(loadConfig(production(), { baseDir: root, usableCpus: () => 3 }).workers).toBe(3);
    expect(loadConfig(production(), { baseDir: root, usableCpus: () => 1000 }).workers).toBe(256);
    expect(loadConfig({ APP_ENV: "development" }, { baseDir: root, devMaterial: material, usableCpus: () => 8 }).workers).toBe(1);
  });

  it("an explicit value wins over the CPU count", () => {
    expect(loadConfig(production({ WORKERS: "2" }), { baseDir: root, usableCpus: () => 16 }).workers).toBe(2);
    expect(loadConfig(production({ WORKERS: "1" }), { baseDir: root, usableCpus: () => 16 }).workers).toBe(1);
  });

  it("refuses 0, a fraction and more than 256, naming WORKERS", () => {
    expect(problems(production({ WORKERS: "0" }))).toEqual([{ variable: "WORKERS", message: "must be between 1 and 256" }]);
    expect(problems(production({ WORKERS: "1.5" }))).toEqual([{ variable: "WORKERS", message: "must be a whole number between 1 and 256" }]);
    expect(problems(production({ WORKERS: "257" }))).toEqual([{ variable: "WORKERS", message: "must be between 1 and 256" }]);
  });

  it("refuses more than 1 worker on the per-process development stores, naming WORKERS", () => {
    const expected = [{ variable: "WORKERS", message: expect.stringMatching(/needs DATABASE_URL and REDIS_URL/) }];
    expect(problems({ APP_ENV: "development", WORKERS: "2" })).toEqual(expected);
    expect(problems({ APP_ENV: "development", WORKERS: "2", DATABASE_URL: "postgres://app@db/aid" })).toEqual(expected);
    expect(problems({ APP_ENV: "development", WORKERS: "2", REDIS_URL: "redis://redis:6379" })).toEqual(expected);
    expect(problems({ APP_ENV: "development", WORKERS: "2", DATABASE_URL: "postgres://app@db/aid", REDIS_URL: "redis://redis:6379" })).toEqual([]);
  });
});
