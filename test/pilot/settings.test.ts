/** Pilot settings: the seed guide's `ADMIN_API_KEY=... npm run pilot:smoke` uses that key; PILOT_* override it. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { liveTargetVariable, PilotSettingsError, readPilotSettings } from "../../src/cli/pilot/settings.js";

describe("readPilotSettings: the admin API key", () => {
  const dir = mkdtempSync(join(tmpdir(), "aid-pilot-settings-"));
  const devKey = join(dir, "admin-api-key");
  writeFileSync(devKey, "key-from-the-development-file\n");
  const explicitFile = join(dir, "explicit-key");
  writeFileSync(explicitFile, "key-from-the-explicit-file\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyOf = (env: Record<string, string>) => readPilotSettings({ PILOT_DEV_DIR: dir, ...env }, dir).adminApiKey;

  it("uses ADMIN_API_KEY, as the seed guide runs it", () => {
    expect(keyOf({ ADMIN_API_KEY: "the-service-admin-key" })).toBe("the-service-admin-key");
  });

  it("uses the current (first) key of ADMIN_API_KEYS", () => {
    expect(keyOf({ ADMIN_API_KEYS: "current-admin-key-1234, next-admin-key-5678" })).toBe("current-admin-key-1234");
  });

  it("PILOT_ADMIN_API_KEY and PILOT_ADMIN_API_KEY_FILE override the service's variables", () => {
    expect(keyOf({ ADMIN_API_KEY: "the-service-admin-key", PILOT_ADMIN_API_KEY: "pilot-override" })).toBe("pilot-override");
    expect(keyOf({ ADMIN_API_KEY: "the-service-admin-key", PILOT_ADMIN_API_KEY_FILE: explicitFile })).toBe("key-from-the-explicit-file");
  });

  it("falls back to the development key file, and names what to set when there is none", () => {
    expect(keyOf({})).toBe("key-from-the-development-file");
    expect(() => readPilotSettings({ PILOT_DEV_DIR: join(dir, "missing") }, dir)).toThrow(PilotSettingsError);
    expect(() => readPilotSettings({ PILOT_DEV_DIR: join(dir, "missing") }, dir)).toThrow(/set ADMIN_API_KEY/);
  });

  it("an admin key or an address makes `npm run test:integration` target a running service", () => {
    expect(liveTargetVariable({})).toBeUndefined();
    expect(liveTargetVariable({ ADMIN_API_KEY: "" })).toBeUndefined();
    expect(liveTargetVariable({ ADMIN_API_KEY: "k" })).toBe("ADMIN_API_KEY");
    expect(liveTargetVariable({ PILOT_ADDR: "https://identity.example:8443" })).toBe("PILOT_ADDR");
  });
});
