// The one-statement audit append: each event's canonical bytes split exactly around its seq; one statement per batch.
import { describe, expect, it } from "vitest";
import { canonicalAroundSeq } from "../../src/adapters/sql/audit-repository.js";
import { openPglite } from "../../src/adapters/sql/database.js";
import { migrate } from "../../src/adapters/sql/migrations.js";
import { createSqlStorage } from "../../src/adapters/sql/storage.js";
import { canonicalEventBytes } from "../../src/domain/audit/chain.js";
import { auditInput } from "../audit/support.js";

describe("canonical bytes around seq", () => {
  const tricky = auditInput(7, {
    target: 'agt_"seq":1,"target":x',
    details: { seq: 1, target: "t", nested: { seq: 5 }, note: ',"seq":1,"target":"' },
  });

  for (const [name, input] of [
    ["a plain event", auditInput(1)],
    ["an event whose details and target mimic the seq member", tricky],
  ] as const) {
    it(`head || decimal(seq) || tail is the canonical form for any seq: ${name}`, () => {
      const { head, tail } = canonicalAroundSeq(input);
      for (const seq of [1, 9, 10, 12_345, Number.MAX_SAFE_INTEGER]) {
        const joined = Buffer.concat([head, Buffer.from(String(seq)), tail]);
        expect(joined.equals(Buffer.from(canonicalEventBytes({ ...input, seq })))).toBe(true);
      }
    });
  }
});

describe("decision batches on the SQL storage", () => {
  it("cost one statement each, outside any explicit transaction, and extend the chain", async () => {
    const db = await openPglite("memory://");
    try {
      await migrate(db);
      const statements: string[] = [];
      let transactions = 0;
      const counting = {
        ...db,
        query: <R>(sql: string, params?: readonly unknown[]) => (statements.push(sql), db.query<R>(sql, params)),
        transaction: <T>(fn: Parameters<typeof db.transaction<T>>[0]) => (transactions++, db.transaction(fn)),
      };
      const storage = createSqlStorage(counting);
      await storage.auditAppender.appendBatch([auditInput(1), auditInput(2), auditInput(3)]);
      await storage.auditAppender.appendBatch([auditInput(4)]);
      expect(statements).toHaveLength(2);
      expect(transactions).toBe(0);
      const head = await storage.read.audit.head();
      expect(head?.seq).toBe(4);
      const events = await storage.read.audit.range(1, 4);
      for (const e of events) expect(Buffer.from(e.canonical).equals(Buffer.from(canonicalEventBytes(e)))).toBe(true);
      expect(events.map((e) => e.requestId)).toEqual(["req-1", "req-2", "req-3", "req-4"]);
    } finally {
      await db.close();
    }
  });
});
