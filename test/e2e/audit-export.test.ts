/**
 * End to end: every state change is audited with the admin's identity and request id; ExportAudit -> file ->
 * audit:verify against the service's published JWKS; rows re-chained in the database with their checkpoints
 * deleted make the checkpointer refuse to sign, raise agent_identity_audit_chain_broken and a /readyz detail.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExportAuditResponseSchema, type ExportAuditResponse } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { projectRoot } from "../../src/config/project-root.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { PAYMENTS_MANIFEST, newAgentKey } from "../support/agents.js";
import { eventually, metricValue, readyz, scrapeMetrics } from "../support/wire.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { sealEvents } from "../../src/domain/audit/index.js";
import { createSqlPersister } from "../../src/adapters/sql/persister.js";

interface CliResult {
  readonly exitCode: number;
  readonly output: string;
}

/**
 * Runs the audit:verify CLI (`tsx src/cli/audit-verify.ts --jwks URL <file>`, without the npx wrapper) as a
 * separate process, trusting the keys the service publishes at its sidecar's /.well-known/jwks.json.
 */
function auditVerify(file: string, jwks: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/audit-verify.ts", "--jwks", jwks, file], { cwd: projectRoot(), timeout: 60_000 }, (error, stdout, stderr) => {
      const exitCode = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ exitCode, output: `${stdout}${stderr}` });
    });
  });
}

describe.each(databaseTargets())("audit log end to end on $name", (target) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<TestApp["adminClients"]>>;
  let dir: string;
  let jwksUrl: string;

  beforeAll(async () => {
    // A checkpoint every second, so an export carries signed checkpoints.
    t = await startTestApp({ database: target, env: { AUDIT_CHECKPOINT_INTERVAL_SECONDS: "1" } });
    admin = await t.adminClients();
    dir = mkdtempSync(join(tmpdir(), "aid-audit-e2e-"));
    jwksUrl = `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await t?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("every state change has its audit event with the admin's SPIFFE ID (or the agent) and the request id", async () => {
    const rid = (name: string) => ({ headers: { "x-request-id": `e2e-${name}-${target.name}` } });
    const adminId = t.material.clients.admin.identity;
    const { org } = await admin.admin.createOrg({ name: "Audited" }, rid("create-org"));
    const orgId = org!.id;
    const key = (await newAgentKey(t.config.issuer.issuerUrl)).client;
    const audience = t.config.issuer.issuerUrl;
    const registered = await admin.registry.registerAgent(
      {
        orgId,
        displayName: "audited bot",
        publicJwk: JSON.stringify(key.publicJwk),
        capabilities: PAYMENTS_MANIFEST,
        possessionProof: await key.makePossessionProof({ op: "agent.register", audience, orgId }),
      },
      rid("register"),
    );
    const agentId = registered.agent!.id;
    key.agentId = agentId;
    const newKey = (await newAgentKey(t.config.issuer.issuerUrl, { alg: "EdDSA" })).client;
    await admin.registry.rotateAgentKey(
      {
        agentId,
        publicJwk: JSON.stringify(newKey.publicJwk),
        possessionProof: await newKey.makePossessionProof({ op: "agent.rotate_key", audience, orgId, agentId }),
      },
      rid("rotate"),
    );
    newKey.agentId = agentId;
    await admin.registry.updateCapabilities({ agentId, capabilities: { ...PAYMENTS_MANIFEST, scopes: ["orders:read"] } }, rid("update"));
    await admin.registry.issueCredential({ agentId }, rid("admin-issue"));
    await t.client(AgentRegistryService, "agent").issueCredential({ agentId, proof: await newKey.makeRenewalProof() }, rid("self-renew"));
    await admin.registry.revokeAgent({ agentId, reason: "audit test" }, rid("revoke"));

    const events = (await admin.admin.listAuditEvents({ orgId, pageSize: 500 })).events.reverse();
    const summary = events.map((e) => ({ action: e.action, target: e.target, actor: e.actor, requestId: e.requestId }));
    const by = (name: string) => `e2e-${name}-${target.name}`;
    expect(summary).toEqual([
      { action: "org.created", target: orgId, actor: adminId, requestId: by("create-org") },
      { action: "agent.registered", target: agentId, actor: adminId, requestId: by("register") },
      { action: "credential.issued", target: agentId, actor: adminId, requestId: by("register") },
      { action: "agent.key_rotated", target: agentId, actor: adminId, requestId: by("rotate") },
      { action: "credential.issued", target: agentId, actor: adminId, requestId: by("rotate") },
      { action: "agent.capabilities_updated", target: agentId, actor: adminId, requestId: by("update") },
      { action: "credential.issued", target: agentId, actor: adminId, requestId: by("update") },
      { action: "credential.issued", target: agentId, actor: adminId, requestId: by("admin-issue") },
      { action: "credential.issued", target: agentId, actor: `agent:${agentId}`, requestId: by("self-renew") },
      { action: "agent.revoked", target: agentId, actor: adminId, requestId: by("revoke") },
    ]);
    expect(events.every((e) => e.orgId === orgId && e.hash.length === 64)).toBe(true);
    const revoked = events.at(-1)!;
    expect(revoked.details).toMatchObject({ reason: "audit test" });
    // The token exchange itself is audited too.
    const tokens = await admin.admin.listAuditEvents({ action: "admin.token_issued", actor: adminId });
    expect(tokens.events.length).toBeGreaterThan(0);
  });

  it("50 concurrent CreateOrg calls are 50 events with distinct, gap-free seqs", async () => {
    const before = (await admin.admin.listAuditEvents({ pageSize: 1 })).events[0]!.seq;
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => admin.admin.createOrg({ name: `Concurrent ${i}` })));
    const ids = new Set(created.map((c) => c.org!.id));
    expect(ids.size).toBe(50);
    const events = (await admin.admin.listAuditEvents({ action: "org.created", pageSize: 500 })).events.filter((e) => ids.has(e.target));
    expect(events).toHaveLength(50);
    const seqs = events.map((e) => e.seq).sort((a, b) => (a < b ? -1 : 1));
    expect(seqs[0]).toBe(before + 1n);
    expect(seqs.at(-1)).toBe(before + 50n);
  });

  it("ExportAudit over the wire, written as JSON Lines, passes audit:verify; one changed byte or a removed event fails naming the seq", async () => {
    // Wait (generous deadline) for a checkpoint covering the changes above, then make one more change.
    let messages: ExportAuditResponse[] = [];
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      messages = [];
      for await (const m of admin.admin.exportAudit({})) messages.push(m);
      if (messages.some((m) => m.item.case === "checkpoint")) break;
    }
    await admin.admin.createOrg({ name: "After the checkpoint" });
    messages = [];
    for await (const m of admin.admin.exportAudit({})) messages.push(m);
    const cases = messages.map((m) => m.item.case);
    expect(cases[0]).toBe("header");
    expect(cases.filter((c) => c === "checkpoint").length).toBeGreaterThan(0);
    const events = messages.filter((m) => m.item.case === "event");
    expect(events.length).toBeGreaterThan(60);

    const lines = messages.map((m) => JSON.stringify(toJson(ExportAuditResponseSchema, m)));
    const good = join(dir, "export.jsonl");
    writeFileSync(good, `${lines.join("\n")}\n`);
    const ok = await auditVerify(good, jwksUrl);
    expect(ok.output).toMatch(/^OK seq 1\.\.\d+ \(\d+ events, [1-9]\d* signed checkpoints verified\)/);
    expect(ok.exitCode).toBe(0);

    // One byte of event seq 5 (inside its action) changed.
    const lineOf5 = lines.findIndex((l) => l.includes('"seq":"5"') && l.startsWith('{"event"'));
    expect(lineOf5).toBeGreaterThan(0);
    const original = lines[lineOf5]!;
    const at = original.indexOf('"action":"') + '"action":"'.length;
    const flipped = [...lines];
    flipped[lineOf5] = `${original.slice(0, at)}${original[at] === "x" ? "y" : "x"}${original.slice(at + 1)}`;
    const flippedFile = join(dir, "flipped.jsonl");
    writeFileSync(flippedFile, `${flipped.join("\n")}\n`);
    expect(readFileSync(flippedFile).length).toBe(readFileSync(good).length);
    const broken = await auditVerify(flippedFile, jwksUrl);
    expect(broken.exitCode).not.toBe(0);
    expect(broken.output).toContain("BROKEN at seq 5");

    // A middle range (anchored on the hash of the event before it) verifies on its own.
    const partial: ExportAuditResponse[] = [];
    for await (const m of admin.admin.exportAudit({ startSeq: 10n, endSeq: 40n })) partial.push(m);
    const header = partial[0]!.item;
    const hashOf9 = events.flatMap((m) => (m.item.case === "event" && m.item.value.seq === 9n ? [m.item.value.hash] : []));
    expect(hashOf9).toHaveLength(1);
    expect(header.case === "header" ? header.value.anchorHash : undefined).toBe(hashOf9[0]);
    const partialFile = join(dir, "partial.jsonl");
    writeFileSync(partialFile, partial.map((m) => `${JSON.stringify(toJson(ExportAuditResponseSchema, m))}\n`).join(""));
    const partialOk = await auditVerify(partialFile, jwksUrl);
    // The range ends at the first signed checkpoint at or after the requested end.
    const partialEnd = Number(/^OK seq 10\.\.(\d+) /.exec(partialOk.output)?.[1]);
    expect(partialEnd).toBeGreaterThanOrEqual(40);
    expect(partial.filter((m) => m.item.case === "event")).toHaveLength(partialEnd - 9);
    expect(partialOk.exitCode).toBe(0);

    // Event seq 7 removed.
    const lineOf7 = lines.findIndex((l) => l.includes('"seq":"7"') && l.startsWith('{"event"'));
    const removedFile = join(dir, "removed.jsonl");
    writeFileSync(removedFile, `${lines.filter((_, i) => i !== lineOf7).join("\n")}\n`);
    const removed = await auditVerify(removedFile, jwksUrl);
    expect(removed.exitCode).not.toBe(0);
    expect(removed.output).toContain("BROKEN at seq 7");
  });

  // The harness holds a handle on real Postgres only (PGlite runs inside the app); test/audit/checkpointer-break covers both.
  it.runIf(target.name === "postgres")("rows re-chained directly in Postgres with their checkpoints deleted: the checkpointer refuses to sign and alerts", async () => {
    const db = t.database!;
    // An export signs the head first, so the checkpointer has checked and signed the chain up to here.
    for await (const _ of admin.admin.exportAudit({ startSeq: 1n, endSeq: 1n })) void _;
    const audit = createSqlPersister(db).read.audit;
    const head = (await audit.head())!;
    // A database writer changes event 3, re-seals every later event and deletes every checkpoint.
    const events = await audit.range(2, head.seq);
    const resealed = sealEvents(events[0], events.slice(1).map((e, i) => (i === 0 ? { ...e, actor: "spiffe://t/intruder" } : e)));
    await db.transaction(async (tx) => {
      for (const e of resealed) {
        await tx.query("UPDATE audit_events SET actor = $2, canonical = $3, prev_hash = $4, hash = $5 WHERE seq = $1", [
          e.seq,
          e.actor,
          Buffer.from(e.canonical),
          e.prevHash,
          e.hash,
        ]);
      }
      await tx.query("DELETE FROM audit_checkpoints");
    });
    await admin.admin.createOrg({ name: "After the forgery" });
    // The next export asks the checkpointer to sign the forged head: it refuses, and the export with it.
    const refused = await (async () => {
      for await (const _ of admin.admin.exportAudit({})) void _;
    })().catch((e: unknown) => e);
    expect(ConnectError.from(refused).code).toBe(Code.Unavailable);
    await eventually(async () => metricValue(await scrapeMetrics(t), "agent_identity_audit_chain_broken") === 1, "chain broken alert");
    const ready = await readyz(t);
    expect(ready.body).toContain("audit_chain");
    expect(ready.body).toContain("audit chain broken: the checkpoint at seq");
    const rows = await db.query<{ n: string }>("SELECT count(*) AS n FROM audit_checkpoints");
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
