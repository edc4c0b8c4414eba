// `npm run pilot:smoke` as a child process against the service started on port 0 (embedded PGlite + in-memory stores).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PILOT_STEPS } from "../../src/cli/pilot/run.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { parseReport, pilotEnv, runChild, TSX } from "./support.js";

const RATE_LIMIT = 30;

describe("pilot:smoke against the embedded service", () => {
  let t: TestApp;
  let work: string;
  beforeAll(async () => {
    t = await startTestApp({
      database: databaseTargets()[0]!,
      env: { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), AGENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) },
    });
    work = mkdtempSync(join(tmpdir(), "aid-pilot-"));
  });
  afterAll(async () => {
    await t?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("runs every step and prints ok: true with the org, the agent and each outcome", async () => {
    const exportFile = join(work, "audit.jsonl");
    const env = { ...pilotEnv(t.material, t.app.server.grpcPort, RATE_LIMIT), PILOT_AUDIT_EXPORT_FILE: exportFile };
    const run = await runChild(TSX, ["src/cli/pilot-smoke.ts"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = parseReport(run.stdout);
    expect(report.ok).toBe(true);
    expect(report.org_id).toMatch(/^org_/);
    expect(report.agent_id).toMatch(/^agt_/);
    const steps = report.steps as Record<string, Record<string, unknown>>;
    expect(Object.keys(steps)).toEqual([...PILOT_STEPS]);
    expect(steps.verify!.reason_code).toBe("verified");
    expect(steps.replay!.reason_code).toBe("nonce_replay");
    expect(steps.rate_limit!.code).toBe("RESOURCE_EXHAUSTED");
    expect(steps.rate_limit!.sent).toBeLessThanOrEqual(2 * RATE_LIMIT + 50);
    const trust = steps.telemetry_trust!;
    expect(trust.uptime_contribution_after_0_2).toBeLessThan(trust.uptime_contribution_before as number);
    expect(trust.uptime_contribution_after_0_99).toBeGreaterThan(trust.uptime_contribution_after_0_2 as number);
    expect(steps.renew_credential!.kid).not.toBe("");
    expect(steps.revoke!.reason_code).toBe("revoked");
    expect(steps.audit_export!.chain).toBe("verified");

    // The kept export is what `npm run audit:verify` checks, against the keys the service publishes.
    const jwks = `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`;
    const verify = await runChild(TSX, ["src/cli/audit-verify.ts", "--jwks", jwks, exportFile], {});
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK seq \d+\.\.\d+/);
    expect(readFileSync(exportFile, "utf8")).toContain(report.org_id as string);
  }, 180_000);

  it("names the failed step and exits non-zero when the admin key is wrong", async () => {
    const env = { ...pilotEnv(t.material, t.app.server.grpcPort, RATE_LIMIT), PILOT_ADMIN_API_KEY: "not-the-admin-key-at-all" };
    const run = await runChild(TSX, ["src/cli/pilot-smoke.ts"], env);
    expect(run.code).toBe(1);
    const report = parseReport(run.stdout);
    expect(report.ok).toBe(false);
    expect(report.failed_step).toBe("token_exchange");
    expect(report.error).toMatch(/^Unauthenticated|^PermissionDenied/);
    expect(run.stderr).toContain("FAILED at step token_exchange");
  }, 120_000);

  it("sends the key given as ADMIN_API_KEY (the seed guide's `ADMIN_API_KEY=... npm run pilot:smoke`), not the development file", async () => {
    const { PILOT_ADMIN_API_KEY_FILE: _devKeyFile, ...env } = pilotEnv(t.material, t.app.server.grpcPort, RATE_LIMIT);
    const run = await runChild(TSX, ["src/cli/pilot-smoke.ts"], { ...env, PILOT_DEV_DIR: t.material.dir, ADMIN_API_KEY: "a-key-the-service-does-not-hold" });
    expect(run.code).toBe(1);
    expect(parseReport(run.stdout)).toMatchObject({ ok: false, failed_step: "token_exchange" });
  }, 120_000);
});
