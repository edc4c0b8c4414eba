/** BROWSER_ADMIN and its settings: off in production unless set, on in development, the token lifetime bounded. */
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
  root = mkdtempSync(join(tmpdir(), "aid-browser-config-"));
  material = await prepareDevelopmentMaterial(join(root, "material"), () => undefined);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function production(overrides: Record<string, string> = {}): Record<string, string> {
  return productionEnvironment(material, overrides);
}

describe("browser admin settings", () => {
  it("are off in production and on in development by default, with a 10-minute token and console/dist", () => {
    const prod = loadConfig(production(), { baseDir: root });
    expect(prod.browser).toEqual({ corsAllowedOrigins: [], admin: false, adminJwtTtlSeconds: 600, consoleDir: join(root, "console", "dist") });
    const dev = loadConfig({ APP_ENV: "development", PGLITE_DATA_DIR: "memory://" }, { baseDir: root, devMaterial: material });
    expect(dev.browser.admin).toBe(true);
  });

  it("BROWSER_ADMIN switches either way; the lifetime stays within the admin maximum", () => {
    expect(loadConfig(production({ BROWSER_ADMIN: "on" }), { baseDir: root }).browser.admin).toBe(true);
    const dev = loadConfig({ APP_ENV: "development", BROWSER_ADMIN: "off", PGLITE_DATA_DIR: "memory://" }, { baseDir: root, devMaterial: material });
    expect(dev.browser.admin).toBe(false);
    const short = loadConfig(production({ ADMIN_JWT_MAX_TTL_SECONDS: "300" }), { baseDir: root });
    expect(short.browser.adminJwtTtlSeconds).toBe(300);
    expect(loadConfig(production({ BROWSER_ADMIN_JWT_TTL_SECONDS: "120", CONSOLE_DIR: "/srv/console" }), { baseDir: root }).browser).toMatchObject({
      adminJwtTtlSeconds: 120,
      consoleDir: "/srv/console",
    });
    let error: unknown;
    try {
      loadConfig(production({ ADMIN_JWT_MAX_TTL_SECONDS: "300", BROWSER_ADMIN_JWT_TTL_SECONDS: "600", BROWSER_ADMIN: "maybe" }), { baseDir: root });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable).sort()).toEqual(["BROWSER_ADMIN", "BROWSER_ADMIN_JWT_TTL_SECONDS"]);
  });
});
