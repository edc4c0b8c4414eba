/** The group-commit decision writer: batching, back-pressure, failed batches, flush on close. */
import { describe, expect, it } from "vitest";
import type { AuditEventInput } from "../../src/domain/audit/chain.js";
import { createDecisionWriter } from "../../src/domain/audit/decision-writer.js";
import { DomainError } from "../../src/domain/errors.js";
import type { AuditBatchAppender } from "../../src/domain/storage.js";
import { auditInput } from "./support.js";

/** A behavioural appender: commits batches when released, or fails them. */
function gatedAppender(): AuditBatchAppender & {
  batches: AuditEventInput[][];
  release(): void;
  failNext(error: Error): void;
} {
  let gate: { promise: Promise<void>; open(): void } = makeGate();
  let failure: Error | undefined;
  const batches: AuditEventInput[][] = [];
  function makeGate(): { promise: Promise<void>; open(): void } {
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    return { promise, open };
  }
  return {
    batches,
    release() {
      gate.open();
    },
    failNext(error: Error) {
      failure = error;
    },
    async appendBatch(events: readonly AuditEventInput[]): Promise<void> {
      await gate.promise;
      gate = makeGate();
      const f = failure;
      failure = undefined;
      if (f !== undefined) throw f;
      batches.push([...events]);
    },
  };
}

describe("decision writer", () => {
  it("groups decisions that arrive while a batch commits into the next batch, and callers wait for commit", async () => {
    const appender = gatedAppender();
    const sizes: number[] = [];
    const writer = createDecisionWriter({ appender, onBatch: (n) => sizes.push(n), maxBatchSize: 50, maxBatchesInFlight: 1 });
    let firstDone = false;
    const first = writer.write(auditInput(0)).then(() => (firstDone = true));
    await Promise.resolve();
    await Promise.resolve();
    const rest = Array.from({ length: 120 }, (_, i) => writer.write(auditInput(i + 1)));
    expect(firstDone).toBe(false);
    expect(writer.pending).toBe(121);
    for (let i = 0; i < 4; i++) {
      appender.release();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([first, ...rest]);
    expect(sizes).toEqual([1, 50, 50, 20]);
    expect(appender.batches.flat().map((e) => e.requestId)).toEqual(Array.from({ length: 121 }, (_, i) => `req-${i}`));
    expect(writer.pending).toBe(0);
  });

  it("rejects every caller of a failed batch with unavailable, and keeps going", async () => {
    const appender = gatedAppender();
    const errors: unknown[] = [];
    const writer = createDecisionWriter({ appender, onBatchError: (e) => errors.push(e) });
    appender.failNext(new Error("connection terminated"));
    const failed = [writer.write(auditInput(1)), writer.write(auditInput(2))].map((p) => p.catch((e: unknown) => e));
    appender.release();
    for (const r of await Promise.all(failed)) {
      expect(r).toBeInstanceOf(DomainError);
      expect((r as DomainError).kind).toBe("unavailable");
      expect((r as DomainError).code).toBe("audit.write_failed");
    }
    expect(errors).toHaveLength(1);
    const ok = writer.write(auditInput(3));
    appender.release();
    await ok;
    expect(appender.batches).toEqual([[auditInput(3, { id: appender.batches[0]![0]!.id })]]);
  });

  it("pipelines: seals the next batch while one commits, acknowledges each batch only when it has committed", async () => {
    const commits: { events: readonly AuditEventInput[]; done(): void }[] = [];
    const appender: AuditBatchAppender = {
      appendBatch: (events) => new Promise<void>((resolve) => commits.push({ events, done: resolve })),
    };
    const writer = createDecisionWriter({ appender, maxBatchSize: 100, maxBatchesInFlight: 2 });
    const acked: number[] = [];
    const write = (i: number): Promise<void> => writer.write(auditInput(i)).then(() => void acked.push(i));
    const first = write(0);
    await new Promise((r) => setImmediate(r));
    const second = [1, 2].map(write);
    await new Promise((r) => setImmediate(r));
    const third = [3, 4, 5].map(write);
    await new Promise((r) => setImmediate(r));
    // Two batches commit at once; the third waits for a slot.
    expect(commits.map((c) => c.events.length)).toEqual([1, 2]);
    commits[1]!.done();
    await Promise.all(second);
    expect(acked).toEqual([1, 2]);
    await new Promise((r) => setImmediate(r));
    expect(commits.map((c) => c.events.length)).toEqual([1, 2, 3]);
    expect(writer.pending).toBe(4);
    commits[0]!.done();
    commits[2]!.done();
    await Promise.all([first, ...third]);
    expect(acked.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(writer.pending).toBe(0);
  });

  it("applies back-pressure with unavailable when the queue is full", async () => {
    const appender = gatedAppender();
    const writer = createDecisionWriter({ appender, maxQueue: 3, maxBatchSize: 10 });
    const accepted = [1, 2, 3].map((i) => writer.write(auditInput(i)));
    const refused = await writer.write(auditInput(4)).catch((e: unknown) => e);
    expect((refused as DomainError).code).toBe("audit.queue_full");
    expect((refused as DomainError).kind).toBe("unavailable");
    appender.release();
    await Promise.all(accepted);
  });

  it("flushes on close and refuses writes afterwards", async () => {
    const appender = gatedAppender();
    const writer = createDecisionWriter({ appender });
    const pending = [writer.write(auditInput(1)), writer.write(auditInput(2))];
    const closing = writer.close();
    const late = await writer.write(auditInput(3)).catch((e: unknown) => e);
    expect((late as DomainError).code).toBe("audit.writer_closed");
    appender.release();
    await closing;
    await Promise.all(pending);
    expect(appender.batches.flat()).toHaveLength(2);
  });
});
