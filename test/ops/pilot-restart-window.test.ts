// pilot:smoke right after Redis lost its data: the verify step names the replay restart window, waits it out (seconds) and passes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteKeysWithPrefix } from "../../src/adapters/redis/keyspace.js";
import { runPilotSmoke } from "../../src/cli/pilot/run.js";
import { readPilotSettings } from "../../src/cli/pilot/settings.js";
import { lookupRestartWindow, staleProofExplanation } from "../../src/cli/pilot/restart-window.js";
import { projectRoot } from "../../src/config/project-root.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets, redisTarget } from "../support/databases.js";
import { pilotEnv } from "./support.js";

const RATE_LIMIT = 30;
const redis = redisTarget();

describe.skipIf(redis === undefined)("pilot:smoke inside a replay restart window (TEST_REDIS_URL)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      database: databaseTargets()[0]!,
      redis,
      env: { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), AGENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) },
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.cleanup();
  });

  it("names the window's end, verifies with a proof made after it, and completes", async () => {
    const sidecarUrl = `http://127.0.0.1:${t.app.server.sidecarPort}`;
    expect(await lookupRestartWindow(sidecarUrl)).toEqual({ kind: "none" });
    await deleteKeysWithPrefix(redis!.url, redis!.prefix);
    const env = { ...pilotEnv(t.material, t.app.server.grpcPort, RATE_LIMIT), PILOT_SIDECAR_URL: sidecarUrl };
    const report = await runPilotSmoke(readPilotSettings(env, projectRoot()));
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    const verify = report.steps.verify!;
    expect(verify.reason_code).toBe("verified");
    expect(String(verify.restart_window_until)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Number(verify.waited_ms)).toBeLessThanOrEqual((t.config.verify.proofFutureSkewSeconds + 1) * 1000);
  }, 120_000);

  it("explains a stale_proof without a window as a clock problem, and an unreachable sidecar as unknown", async () => {
    expect(staleProofExplanation({ kind: "none" })).toMatch(/no replay restart window.*clocks/);
    const unknown = await lookupRestartWindow("http://127.0.0.1:9", 1_000);
    expect(unknown.kind).toBe("unknown");
    expect(staleProofExplanation(unknown)).toMatch(/cannot read http:\/\/127\.0\.0\.1:9\/readyz.*PROOF_FUTURE_SKEW_SECONDS/);
  });
});
