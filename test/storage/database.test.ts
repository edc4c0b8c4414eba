/** The Database adapters: same results on both, transactions roll back, an unreachable Postgres is unavailable. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/adapters/sql/database.js";
import { DomainError } from "../../src/domain/errors.js";
import { adapterRun, type TestDatabase } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";

describe.each(sqlAdapterTargets())("database adapter on $name", (target) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await target.open({ migrate: false });
  });
  afterAll(async () => {
    await db.dispose();
  });

  it("returns int8 as strings, timestamptz as Date, bytea as bytes, jsonb as values", async () => {
    const rows = await db.query<{ big: string; t: Date; b: Uint8Array; j: unknown }>(
      "SELECT 9007199254740993::int8 AS big, '2026-01-01T00:00:00.123Z'::timestamptz AS t, $1::bytea AS b, '{\"a\":[1]}'::jsonb AS j",
      [Buffer.from([0, 255])],
    );
    expect(rows[0]!.big).toBe("9007199254740993");
    expect(rows[0]!.t).toEqual(new Date("2026-01-01T00:00:00.123Z"));
    expect([...rows[0]!.b]).toEqual([0, 255]);
    expect(rows[0]!.j).toEqual({ a: [1] });
  });

  it("commits a transaction that resolves and rolls back one that throws", async () => {
    await db.execScript("CREATE TABLE t_tx (x int PRIMARY KEY)");
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO t_tx VALUES ($1)", [1]);
    });
    const err = await db
      .transaction(async (tx) => {
        await tx.query("INSERT INTO t_tx VALUES ($1)", [2]);
        throw new Error("undo");
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe("undo");
    expect(await db.query("SELECT x FROM t_tx ORDER BY x")).toEqual([{ x: 1 }]);
  });
});

// A client socket to a closed port: not for the socket-free embedded run (the integration project runs it).
describe.skipIf(adapterRun() === "embedded")("openPostgres against an unreachable server", () => {
  it("maps connection failures to DomainError unavailable \"database unavailable\"", async () => {
    const db = openPostgres("postgres://postgres@127.0.0.1:1/none", { max: 1 });
    try {
      for (const attempt of [() => db.query("SELECT 1"), () => db.transaction(async () => undefined)]) {
        const err = await attempt().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DomainError);
        expect(err).toMatchObject({ kind: "unavailable", code: "storage.database_unavailable", message: "database unavailable" });
      }
    } finally {
      await db.close();
    }
  });
});
