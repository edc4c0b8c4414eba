/**
 * The service on a DATABASE_URL that reaches PgBouncer (pool_mode=transaction, 2 server connections): it starts with
 * DATABASE_POOL_MODE=transaction, migrates, registers, verifies, group-commits the decisions into the audit chain,
 * checkpoints, and the exported chain verifies; without DATABASE_POOL_MODE it refuses to start in one line naming it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExportAuditResponseSchema, type ExportAuditResponse } from "../../gen/agentidentity/v1/admin_pb.js";
import { buildApp } from "../../src/app.js";
import { checkExportFile } from "../../src/cli/audit-verify.js";
import { loadConfig } from "../../src/config/load.js";
import { describeStartupFailure } from "../../src/startup-failure.js";
import { registerAgent, verifyOnce } from "../support/agents.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { pgbouncerTargetIfAvailable } from "../support/pgbouncer.js";
import { testEnvironment } from "../support/service-under-test.js";
import { eventually } from "../support/wire.js";

const target = pgbouncerTargetIfAvailable();
const VERIFICATIONS = 12;

describe.skipIf(target === undefined)("the service behind pgbouncer (needs TEST_DATABASE_URL and /usr/sbin/pgbouncer)", () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp({ database: target!, env: { AUDIT_CHECKPOINT_INTERVAL_SECONDS: "1" } });
    dir = mkdtempSync(join(tmpdir(), "aid-pgbouncer-e2e-"));
  });
  afterAll(async () => {
    await t?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("starts with DATABASE_POOL_MODE=transaction; verifications are audited and the exported chain verifies", async () => {
    expect(t.config.storage.poolMode).toBe("transaction");
    const agent = await registerAgent(t);
    const verifier = t.verifier();
    const answers = await Promise.all(Array.from({ length: VERIFICATIONS }, () => verifyOnce(t, verifier, agent.key, agent.credential)));
    expect(answers.map((a) => a.reasonCode)).toEqual(Array.from({ length: VERIFICATIONS }, () => "verified"));

    const { admin } = await t.adminClients();
    await eventually(async () => {
      const decisions = await admin.listAuditEvents({ action: "verify.decision", pageSize: 100 });
      return decisions.events.filter((e) => e.target === agent.agentId).length === VERIFICATIONS;
    }, "every decision in the audit chain");

    let messages: ExportAuditResponse[] = [];
    await eventually(async () => {
      messages = [];
      for await (const m of admin.exportAudit({})) messages.push(m);
      const lastEvent = messages.findLast((m) => m.item.case === "event");
      const lastCheckpoint = messages.findLast((m) => m.item.case === "checkpoint");
      return lastEvent?.item.case === "event" && lastCheckpoint?.item.case === "checkpoint" && lastCheckpoint.item.value.seq === lastEvent.item.value.seq;
    }, "a signed checkpoint at the head");
    const file = join(dir, "export.jsonl");
    writeFileSync(file, messages.map((m) => `${JSON.stringify(toJson(ExportAuditResponseSchema, m))}\n`).join(""));
    const check = await checkExportFile(file, `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`);
    expect(check).toMatchObject({ kind: "ok", startSeq: 1 });
    expect(check.kind === "ok" ? check.events : 0).toBeGreaterThanOrEqual(VERIFICATIONS + 3);
  });

  it("refuses to start on the same DATABASE_URL without DATABASE_POOL_MODE=transaction, in one line naming it", async () => {
    const config = loadConfig(testEnvironment(t.material, { DATABASE_URL: t.databaseUrl! }), { devMaterial: t.material });
    expect(config.storage.poolMode).toBe("direct");
    const err = await buildApp(config, { logger: pino({ level: "silent" }), processMetrics: false }).then(
      async (app) => {
        await app.stop(1000);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    const line = describeStartupFailure(err, config);
    expect(line).toMatch(/^DATABASE_URL reaches a pooler that refuses .*unsupported startup parameter.*set DATABASE_POOL_MODE=transaction/);
    expect(line).not.toContain("\n");
  });
});
