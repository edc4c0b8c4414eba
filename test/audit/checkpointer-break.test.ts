/**
 * The checkpointer re-checks the chain from the last checkpoint it signed before signing a new head: rows
 * re-chained in the database (with or without their checkpoints deleted) make it refuse, report once, and stay
 * refusing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSqlStorage, type SqlStorage } from "../../src/adapters/sql/storage.js";
import { sealEvents } from "../../src/domain/audit/chain.js";
import { AuditChainBrokenError, createCheckpointer, type Checkpointer } from "../../src/domain/audit/checkpointer.js";
import { signCheckpoint } from "../../src/domain/audit/checkpoint-jws.js";
import { ManualClock } from "../../src/domain/clock.js";
import { databaseTargets, type TestDatabase } from "../support/databases.js";
import { auditInput, T0, testSigner } from "./support.js";

describe.each(databaseTargets())("checkpointer chain check on $name", (target) => {
  let db: TestDatabase;
  let storage: SqlStorage;
  const signer = testSigner();
  const clock = new ManualClock(T0);
  let breaks: string[];

  beforeAll(async () => {
    db = await target.open();
    storage = createSqlStorage(db);
  });
  afterAll(async () => db.dispose());
  // Each test starts from an empty chain.
  beforeEach(async () => {
    await db.query("DELETE FROM audit_checkpoints");
    await db.query("DELETE FROM audit_events");
    breaks = [];
  });

  const checkpointer = (): Checkpointer =>
    createCheckpointer({
      store: storage.read.audit,
      signHead: (seq, hash) => signCheckpoint(signer, seq, hash, clock.nowMs()),
      clock,
      intervalMs: 60_000,
      onError: () => undefined,
      onChainBroken: (problem) => breaks.push(problem),
    });

  async function record(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await storage.unitOfWork.run(async (tx) => tx.audit.record(auditInput(i)));
  }

  /** A database writer changes event 3 and re-seals every later event, as if by hand in SQL. */
  async function rechain(deleteCheckpoints: boolean): Promise<void> {
    const head = (await storage.read.audit.head())!;
    const events = await storage.read.audit.range(2, head.seq);
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
      if (deleteCheckpoints) await tx.query("DELETE FROM audit_checkpoints");
    });
  }

  it("verifies the chain from genesis and from its last checkpoint before signing", async () => {
    const c = checkpointer();
    await record(5);
    expect(await c.checkpointNow()).toMatchObject({ seq: 5 });
    await record(3);
    expect(await c.checkpointNow()).toMatchObject({ seq: 8 });
    expect(breaks).toEqual([]);
    expect(c.broken).toBeUndefined();
  });

  it("rows re-chained with every checkpoint deleted: refuses to sign the forged head, reports once, keeps refusing", async () => {
    const c = checkpointer();
    await record(6);
    expect(await c.checkpointNow()).toMatchObject({ seq: 6 });
    await rechain(true);
    await record(2); // appended on top of the forged head
    await expect(c.checkpointNow()).rejects.toBeInstanceOf(AuditChainBrokenError);
    await expect(c.checkpointNow()).rejects.toThrow(/refusing to sign checkpoints/);
    expect(breaks).toEqual(["the checkpoint at seq 6 is gone"]);
    expect(await storage.read.audit.latestCheckpoint()).toBeUndefined();
  });

  it("rows re-chained under a kept checkpoint: this process and a fresh one (anchored on the stored checkpoint) refuse", async () => {
    const c = checkpointer();
    await record(6);
    await c.checkpointNow();
    await rechain(false);
    await record(1);
    await expect(c.checkpointNow()).rejects.toBeInstanceOf(AuditChainBrokenError);
    expect(breaks).toEqual(["event 6 no longer has the hash its checkpoint signed"]);
    await expect(checkpointer().checkpointNow()).rejects.toBeInstanceOf(AuditChainBrokenError);
    expect((await storage.read.audit.latestCheckpoint())?.seq).toBe(6);
  });
});
