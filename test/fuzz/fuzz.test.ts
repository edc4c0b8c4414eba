// The protocol fuzzer in the suite (short form; `npm run test:fuzz` runs the long form): zero INTERNAL, zero hangs,
// nothing refused changes state, memory bounded. FUZZ_SEED and FUZZ_REQUESTS reproduce or lengthen a run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets } from "../support/databases.js";
import { proofFor, registerAgent } from "../support/agents.js";
import { runFuzz } from "./run.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 500);

describe("protocol fuzzer", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      database: databaseTargets()[0]!,
      env: { API_RATE_LIMIT_PER_MINUTE: "1000000", RATE_LIMIT_PER_MINUTE: "1000000", AGENT_RATE_LIMIT_PER_MINUTE: "1000000" },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it(`${REQUESTS} seeded requests (seed ${SEED}) over every protocol: no INTERNAL, no hang, no state change when refused`, { timeout: 600_000 }, async () => {
    const { admin, token } = await t.adminClients();
    const agent = await registerAgent(t);
    const rp = t.material.clients.relyingParty.identity;
    const tokens = [agent.credential, await proofFor(agent.key, rp, agent.credential), token];
    const decision = await t.verifier().verify({
      presented: { case: "credential", value: agent.credential },
      proof: await proofFor(agent.key, rp, agent.credential),
      scope: "payments:write",
      operation: "payment.create",
      amountMinor: 500n,
      currency: "EUR",
    });
    const strings = [agent.agentId, agent.orgId, decision.decisionId, rp];
    const report = await runFuzz(t, {
      seed: SEED,
      requests: REQUESTS,
      timeoutMs: 10_000,
      tokens,
      strings,
      adminToken: token,
      newestAudit: async () => {
        const e = (await admin.listAuditEvents({ pageSize: 1 })).events[0];
        return { id: e?.id ?? "", action: e?.action ?? "" };
      },
    });
    console.log(JSON.stringify({ fuzz: { seed: report.seed, requests: report.requests, byCode: report.byCode, rssMiB: [report.rssBeforeMiB, report.rssAfterMiB], failures: report.failures, stateChanges: report.stateChanges } }));
    expect(report.failures).toEqual([]);
    expect(report.stateChanges).toEqual([]);
    expect(report.rssAfterMiB - report.rssBeforeMiB).toBeLessThan(400);
    // The service still answers a well-formed call.
    expect((await admin.listOrgs({})).orgs.length).toBeGreaterThan(0);
  });
});
