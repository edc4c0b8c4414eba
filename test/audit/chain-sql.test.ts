/**
 * The chain in SQL: 200 concurrent changes from two separate pools form one unbroken chain; decision
 * batches join the same chain; checkpoints, export and audit:verify end to end, including a database writer
 * who rewrites history and recomputes the hashes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres, type Database } from "../../src/adapters/sql/database.js";
import { auditVerify } from "../../src/cli/audit-verify.js";
import { ManualClock } from "../../src/domain/clock.js";
import type { DomainError } from "../../src/domain/errors.js";
import { newId } from "../../src/domain/ids.js";
import type { TestDatabase } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";
import { org } from "../storage/fixtures.js";
import { auditInput, T0, tempFile, testSigner } from "./support.js";
import { buildAuditExport, createCheckpointer, createDecisionWriter, formatExportFile, parseTrustedKeys, sealEvents, signCheckpoint, verifyCheckpointJws, verifyExport } from "../../src/domain/audit/index.js";
import { createSqlPersister, type SqlPersister } from "../../src/adapters/sql/persister.js";

const CHANGES = 200;

describe.each(sqlAdapterTargets())("audit chain on $name", (target) => {
  let db: TestDatabase;
  let second: Database;
  let storage: SqlPersister;
  let otherStorage: SqlPersister;
  const signer = testSigner();
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    db = await target.open();
    // Postgres: a second, separate pool on the same database stands in for a second process.
    second = db.url === undefined ? db : openPostgres(db.url, { max: 10, poolMode: db.poolMode });
    storage = createSqlPersister(db);
    otherStorage = createSqlPersister(second);
  });
  afterAll(async () => {
    if (second !== db) await second.close();
    await db.dispose();
  });

  const trusted = parseTrustedKeys(signer.jwks);
  const trustedFile = tempFile("trusted.jwks.json", signer.jwks);

  /** Exports the whole chain and verifies it with a checkpoint of its head signed here (not stored). */
  async function verifyWholeChain(s: SqlPersister): Promise<Awaited<ReturnType<typeof verifyExport>>> {
    const doc = await buildAuditExport({ reader: s.read.audit }, { startSeq: 0, endSeq: 0 }, signer.jwks, clock.nowMs());
    const last = doc.events.at(-1)!;
    const end = { seq: last.seq, hash: last.hash, signature: await signCheckpoint(signer, last.seq, last.hash, clock.nowMs()), createdAtMs: clock.nowMs() };
    return verifyExport({ ...doc, checkpoints: [...doc.checkpoints, end] }, (jws) => verifyCheckpointJws(jws, trusted));
  }

  it(`${CHANGES} concurrent changes from two pools form one unbroken chain`, async () => {
    const change = (s: SqlPersister, i: number): Promise<void> =>
      s.unitOfWork.run(async (tx) => {
        const o = org({ createdAtMs: T0 + i });
        await tx.orgs.insert(o);
        tx.audit.record(auditInput(i, { action: "org.created", target: o.id, orgId: o.id }));
        if (i % 10 === 0) tx.audit.record(auditInput(i, { action: "org.noted", target: o.id, orgId: o.id }));
      });
    await Promise.all(Array.from({ length: CHANGES }, (_, i) => change(i % 2 === 0 ? storage : otherStorage, i)));
    const expected = CHANGES + CHANGES / 10;
    expect(await storage.read.audit.head()).toMatchObject({ seq: expected });
    expect(await verifyWholeChain(storage)).toEqual({ ok: true, startSeq: 1, endSeq: expected, events: expected, checkpoints: 1 });
    const orgs = await db.query<{ n: string }>("SELECT count(*) AS n FROM orgs");
    expect(Number(orgs[0]!.n)).toBe(CHANGES);
  });

  it("a rolled-back change leaves no audit event", async () => {
    const before = await storage.read.audit.head();
    const err = await storage.unitOfWork
      .run(async (tx) => {
        tx.audit.record(auditInput(1));
        await tx.orgs.insert(org({ name: "dup" }));
        await tx.orgs.insert(org({ name: "DUP" }));
      })
      .catch((e: unknown) => e);
    expect((err as DomainError).code).toBe("org.name_taken");
    expect(await storage.read.audit.head()).toEqual(before);
  });

  it("group-committed decisions join the same chain while changes continue", async () => {
    const batches: number[] = [];
    const writer = createDecisionWriter({ appender: otherStorage.auditAppender, onBatch: (n) => batches.push(n) });
    const decisions = Array.from({ length: 150 }, (_, i) =>
      writer.write(auditInput(i, { id: newId("evt"), action: "verify.decision", actor: "spiffe://t/rp", details: { valid: true, reason: "ok" } })),
    );
    const changes = Array.from({ length: 20 }, (_, i) =>
      storage.unitOfWork.run(async (tx) => tx.audit.record(auditInput(i, { action: "agent.revoked" }))),
    );
    await Promise.all([...decisions, ...changes]);
    await writer.close();
    expect(batches.reduce((a, b) => a + b, 0)).toBe(150);
    expect(batches.length).toBeLessThan(150); // grouped: fewer batches than decisions
    const result = await verifyWholeChain(storage);
    expect(result.ok).toBe(true);
  });

  it("lists newest first with filters and pagination", async () => {
    const page1 = await storage.read.audit.list({ action: "verify.decision", pageSize: 100 });
    expect(page1.items).toHaveLength(100);
    expect(page1.items.every((e) => e.action === "verify.decision" && e.actor === "spiffe://t/rp")).toBe(true);
    const seqs = page1.items.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const page2 = await storage.read.audit.list({ action: "verify.decision", pageSize: 100, pageToken: page1.nextPageToken });
    expect(page2.items).toHaveLength(50);
    expect(page2.nextPageToken).toBeUndefined();
    expect(Math.max(...page2.items.map((e) => e.seq))).toBeLessThan(Math.min(...seqs));

    const byOrg = await storage.read.audit.list({ orgId: "org_example", actor: "spiffe://t/rp", pageSize: 500 });
    expect(byOrg.items.length).toBeGreaterThan(0);
    expect(byOrg.items.every((e) => e.orgId === "org_example")).toBe(true);
    const window = await storage.read.audit.list({ startMs: T0 + 5, endMs: T0 + 7, action: "verify.decision" });
    expect(window.items.map((e) => e.timeMs).sort()).toEqual([T0 + 5, T0 + 6]);
  });

  it("checkpoints the head when it moved, exports, verifies, and catches a rewritten history", async () => {
    const errors: unknown[] = [];
    const checkpointer = createCheckpointer({
      store: storage.read.audit,
      signHead: (seq, hash) => signCheckpoint(signer, seq, hash, clock.nowMs()),
      clock,
      intervalMs: 60_000,
      onError: (e) => errors.push(e),
    });
    const head = (await storage.read.audit.head())!;
    const cp = await checkpointer.checkpointNow();
    expect(cp).toMatchObject({ seq: head.seq, hash: head.hash });
    expect(await checkpointer.checkpointNow()).toBeUndefined(); // head did not move
    await storage.unitOfWork.run(async (tx) => tx.audit.record(auditInput(7)));
    expect(await checkpointer.checkpointNow()).toMatchObject({ seq: head.seq + 1 });
    await checkpointer.stop();
    expect(errors).toEqual([]);

    const doc = await buildAuditExport({ reader: storage.read.audit }, { startSeq: 100, endSeq: 0 }, signer.jwks, clock.nowMs());
    expect(doc.header.anchorHash).toBe((await storage.read.audit.range(99, 99))[0]!.hash);
    expect(doc.checkpoints.map((c) => c.seq)).toEqual([head.seq, head.seq + 1]);
    const okFile = tempFile("ok.jsonl", formatExportFile(doc));
    expect(await auditVerify(["--jwks", trustedFile, okFile])).toEqual({
      exitCode: 0,
      output: `OK seq 100..${head.seq + 1} (${head.seq - 98} events, 2 signed checkpoints verified)`,
    });

    // A database writer changes event 150 and recomputes canonical bytes and hashes for every later event.
    const tail = await storage.read.audit.range(150, head.seq + 1);
    const before = (await storage.read.audit.range(149, 149))[0]!;
    const resealed = sealEvents(before, tail.map((e, i) => (i === 0 ? { ...e, actor: "spiffe://t/someone-else" } : e)));
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
    });
    const forged = await buildAuditExport({ reader: storage.read.audit }, { startSeq: 100, endSeq: 0 }, signer.jwks, clock.nowMs());
    const out = await auditVerify(["--jwks", trustedFile, tempFile("forged.jsonl", formatExportFile(forged))]);
    expect(out).toEqual({
      exitCode: 1,
      output: `BROKEN at seq ${head.seq}: signed checkpoint hash differs from the chain's hash at this seq (history rewritten)`,
    });
  });
});
