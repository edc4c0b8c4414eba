// `npm run test:integration` (vitest project pilot): the pilot checklist against a running service when PILOT_ADDR or an admin key
// (ADMIN_API_KEY, ADMIN_API_KEYS, PILOT_ADMIN_API_KEY[_FILE]) is set (certificates from the PILOT_* variables,
// address default https://localhost:8443, see docs/operations.md); with none of them, against an embedded
// service started here, so `npm test` always runs it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveTargetVariable, readPilotSettings, type PilotSettings } from "../../src/cli/pilot/settings.js";
import { runPilotSmoke } from "../../src/cli/pilot/run.js";
import { projectRoot } from "../../src/config/project-root.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";

const RATE_LIMIT = 20;

describe("the pilot checklist against a live service", () => {
  let embedded: TestApp | undefined;
  let settings: PilotSettings;
  let target = "an embedded service";

  beforeAll(async () => {
    const live = liveTargetVariable(process.env);
    if (live !== undefined) {
      settings = readPilotSettings(process.env, projectRoot());
      target = `${settings.addr} (a running service: ${live} is set)`;
      return;
    }
    embedded = await startTestApp({
      database: databaseTargets()[0]!,
      env: { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), AGENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) },
    });
    settings = readPilotSettings(
      {
        PILOT_ADDR: embedded.baseUrl,
        PILOT_DEV_DIR: embedded.material.dir,
        PILOT_RATE_LIMIT: String(RATE_LIMIT),
      },
      projectRoot(),
    );
  });
  afterAll(async () => {
    await embedded?.close();
  });

  it("passes every step: token exchange, org, agent, verify, replay, rate limit, trust, renewal, revoke, audit", async () => {
    const report = await runPilotSmoke(settings);
    expect(report.ok, `against ${target}: ${report.failed_step ?? ""} ${report.error ?? ""}`).toBe(true);
    expect(report.org_id).toMatch(/^org_/);
    expect(report.agent_id).toMatch(/^agt_/);
  }, 120_000);
});
