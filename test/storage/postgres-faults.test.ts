// Postgres connection faults: terminated backends (failover, pooler restart) and stalled statements never crash the
// process; they surface as unavailable and the pool recovers by itself. Real Postgres only (TEST_DATABASE_URL).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { openPostgres, type Database } from "../../src/adapters/sql/database.js";
import { postgresOnlyTarget, type TestDatabase } from "../support/databases.js";

const target = postgresOnlyTarget();

describe.skipIf(target === undefined)("postgres faults", () => {
  let owner: TestDatabase;
  let db: Database;
  let admin: pg.Client;

  beforeAll(async () => {
    owner = await target!.open({ migrate: false });
    db = openPostgres(owner.url!, { max: 4, statementTimeoutMs: 500 });
    admin = new pg.Client({ connectionString: owner.url! });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await db?.close();
    await owner?.dispose();
  });

  async function terminateOthers(): Promise<number> {
    const rows = await admin.query<{ n: string }>(
      "SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    return Number(rows.rows[0]!.n);
  }

  it("a backend terminated while its client is checked out (between statements) fails that transaction as unavailable", async () => {
    const failed = db.transaction(async (tx) => {
      await tx.query("SELECT 1");
      await terminateOthers();
      await new Promise((r) => setTimeout(r, 200)); // the client is idle but checked out when the backend dies
      await tx.query("SELECT 1");
    });
    await expect(failed).rejects.toMatchObject({ kind: "unavailable" });
  });

  it("terminated idle pooled connections are replaced: the next statements succeed", async () => {
    await Promise.all([db.query("SELECT 1"), db.query("SELECT 1"), db.query("SELECT 1")]);
    expect(await terminateOthers()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 5; i++) {
      try {
        await db.query("SELECT 1");
      } catch (e) {
        expect(e).toMatchObject({ kind: "unavailable" });
      }
    }
    expect(await db.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("a statement past the statement timeout is cancelled and answers unavailable", async () => {
    await expect(db.query("SELECT pg_sleep(5)")).rejects.toMatchObject({ kind: "unavailable", code: "storage.database_timeout" });
    await expect(db.transaction((tx) => tx.query("SELECT pg_sleep(5)"))).rejects.toMatchObject({ kind: "unavailable" });
    expect(await db.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });
});
