/**
 * ExportAudit's builder reads its range from the database a page at a time, only as the stream is consumed (so
 * a large or unread export holds one page), and ends the range at a signed checkpoint, signing the head if needed.
 */
import { describe, expect, it } from "vitest";
import type { AuditCheckpointRecord, AuditEventRecord, ChainHead } from "../../src/domain/audit/chain.js";
import { openAuditExport } from "../../src/domain/audit/export.js";
import { AUDIT_PAGE_SIZE } from "../../src/domain/audit/range-pages.js";
import { DomainError } from "../../src/domain/errors.js";
import type { AuditReader } from "../../src/domain/storage.js";
import { auditInput } from "./support.js";

/** A chain of `length` events made up on demand, recording every range() read. */
function fakeReader(length: number, checkpointSeqs: number[]): AuditReader & { reads: [number, number][]; checkpoints: number[] } {
  const reads: [number, number][] = [];
  const checkpoints = [...checkpointSeqs];
  const event = (seq: number): AuditEventRecord => ({ ...auditInput(seq), seq, canonical: new Uint8Array(), prevHash: "0".repeat(64), hash: String(seq).padStart(64, "0") });
  const cp = (seq: number): AuditCheckpointRecord => ({ seq, hash: event(seq).hash, signature: "sig", createdAtMs: 0 });
  return {
    reads,
    checkpoints,
    list: () => Promise.reject(new Error("unused")),
    async range(a, b) {
      reads.push([a, b]);
      return Array.from({ length: Math.max(0, Math.min(b, length) - a + 1) }, (_, i) => event(a + i));
    },
    head: async (): Promise<ChainHead> => ({ seq: length, hash: event(length).hash }),
    async checkpointsCovering(a, b) {
      return checkpoints.filter((s) => s >= a && s <= b).sort((x, y) => x - y).map(cp);
    },
    latestCheckpoint: async () => (checkpoints.length === 0 ? undefined : cp(Math.max(...checkpoints))),
    insertCheckpoint: () => Promise.reject(new Error("unused")),
  };
}

describe("audit export stream", () => {
  it("reads 100 000 events a page at a time, each page only when the consumer asks for it", async () => {
    const reader = fakeReader(100_000, [100_000]);
    const stream = await openAuditExport({ reader }, { startSeq: 0, endSeq: 0 }, "{}", 0);
    expect(stream.header).toMatchObject({ startSeq: 1, endSeq: 100_000 });
    expect(reader.reads).toEqual([[1, 1]]); // the anchor only
    const it = stream.events[Symbol.asyncIterator]();
    await it.next();
    expect(reader.reads).toEqual([[1, 1], [1, AUDIT_PAGE_SIZE]]);
    let n = 1;
    while (!(await it.next()).done) n++;
    expect(n).toBe(100_000);
    const pages = reader.reads.slice(1);
    expect(pages).toHaveLength(100_000 / AUDIT_PAGE_SIZE);
    expect(pages.every(([a, b]) => b - a + 1 <= AUDIT_PAGE_SIZE)).toBe(true);
  });

  it("ends the range at the first checkpoint at or after the requested end", async () => {
    const reader = fakeReader(50, [20, 35, 50]);
    const stream = await openAuditExport({ reader }, { startSeq: 5, endSeq: 21 }, "{}", 0);
    expect(stream.header).toMatchObject({ startSeq: 5, endSeq: 35 });
    expect(stream.checkpoints.map((c) => c.seq)).toEqual([20, 35]);
  });

  it("signs the head when no checkpoint covers the end, and answers unavailable when it cannot", async () => {
    const reader = fakeReader(30, [10]);
    let sealed = 0;
    const sealHead = async (): Promise<void> => {
      sealed++;
      reader.checkpoints.push(30);
    };
    const stream = await openAuditExport({ reader, sealHead }, { startSeq: 1, endSeq: 0 }, "{}", 0);
    expect(sealed).toBe(1);
    expect(stream.header.endSeq).toBe(30);

    const refusing = fakeReader(30, []);
    const err = await openAuditExport({ reader: refusing, sealHead: () => Promise.reject(new Error("chain broken")) }, { startSeq: 1, endSeq: 0 }, "{}", 0).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("audit.checkpoint_unavailable");
  });
});
