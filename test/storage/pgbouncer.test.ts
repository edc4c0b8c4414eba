/**
 * Postgres through PgBouncer in transaction pooling mode: sessions really are shared, nothing set for one
 * transaction leaks into the next, both statement bounds hold (SET LOCAL in transactions, the database's own
 * statement_timeout outside them, the client's query timeout when the pooler stalls), and the start-up check
 * refuses a wrong DATABASE_POOL_MODE or a missing database setting with one line naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres, type Database } from "../../src/adapters/sql/database.js";
import { checkPoolMode } from "../../src/adapters/sql/pool-mode.js";
import { DomainError } from "../../src/domain/errors.js";
import { adminQuery, createTestDatabase, type CreatedDatabase } from "../support/databases.js";
import { PGBOUNCER_POOL_SIZE, pgbouncerTargetIfAvailable, startPgbouncer, type Pgbouncer } from "../support/pgbouncer.js";

/** The test database's own statement_timeout: what bounds a statement outside a transaction behind the pooler. */
const DATABASE_TIMEOUT_MS = 400;
/** DB_STATEMENT_TIMEOUT_MS of the pools below: transactions get this with SET LOCAL. */
const STATEMENT_TIMEOUT_MS = 1000;

const available = pgbouncerTargetIfAvailable() !== undefined;

describe.skipIf(!available)("postgres through pgbouncer (pool_mode=transaction)", () => {
  let created: CreatedDatabase;
  let bouncer: Pgbouncer;
  let db: Database;

  beforeAll(async () => {
    const adminUrl = process.env.TEST_DATABASE_URL!;
    created = await createTestDatabase(adminUrl);
    await adminQuery(adminUrl, `ALTER DATABASE ${created.name} SET statement_timeout = '${DATABASE_TIMEOUT_MS}ms'`);
    bouncer = await startPgbouncer(created.url);
    db = openPostgres(bouncer.url, { max: 8, statementTimeoutMs: STATEMENT_TIMEOUT_MS, poolMode: "transaction" });
  });
  afterAll(async () => {
    await db?.close();
    await bouncer?.stop();
    await created?.drop();
  });

  it("multiplexes the pool's clients over the pooler's few server sessions", async () => {
    const pids = await Promise.all(
      Array.from({ length: 24 }, () => db.transaction(async (tx) => (await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.01)"))[0]!.pid)),
    );
    expect(new Set(pids).size).toBeLessThanOrEqual(PGBOUNCER_POOL_SIZE);
  });

  it("sets the timeouts per transaction (SET LOCAL); a plain statement sees the database's own, never a leftover", async () => {
    for (let i = 0; i < 6; i++) {
      const inside = await db.transaction((tx) =>
        tx.query<{ statement: string; idle: string }>(
          "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle",
        ),
      );
      expect(inside).toEqual([{ statement: "1s", idle: "2s" }]);
      const outside = await Promise.all([1, 2, 3].map(() => db.query<{ statement: string }>("SELECT current_setting('statement_timeout') AS statement")));
      expect(outside.flat()).toEqual([1, 2, 3].map(() => ({ statement: `${DATABASE_TIMEOUT_MS}ms` })));
    }
  });

  it("cancels a statement past the bound, in a transaction and outside one, and answers unavailable", async () => {
    await expect(db.transaction((tx) => tx.query("SELECT pg_sleep(3)"))).rejects.toMatchObject({ code: "storage.database_timeout" });
    await expect(db.query("SELECT pg_sleep(3)")).rejects.toMatchObject({ code: "storage.database_timeout" });
    // A transaction may run up to its own SET LOCAL bound, longer than the database's default.
    expect(await db.transaction((tx) => tx.query<{ ok: number }>("SELECT 1 AS ok FROM pg_sleep(0.6)"))).toEqual([{ ok: 1 }]);
    expect(await db.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("takes transaction-level advisory locks across pooled sessions: one holder at a time", async () => {
    await db.execScript("CREATE TABLE lock_probe (holder int, entered timestamptz DEFAULT clock_timestamp())");
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.query("SELECT pg_advisory_xact_lock(4242)");
          await tx.query("INSERT INTO lock_probe (holder) VALUES ($1)", [i]);
          await tx.query("SELECT pg_sleep(0.02)");
          await tx.query("INSERT INTO lock_probe (holder) VALUES ($1)", [i]);
        }),
      ),
    );
    // Under the lock each holder's two rows are adjacent: nobody entered in between.
    const rows = await db.query<{ holder: number }>("SELECT holder FROM lock_probe ORDER BY entered");
    const holders = rows.map((r) => r.holder);
    for (let i = 0; i < holders.length; i += 2) expect(holders[i]).toBe(holders[i + 1]);
    expect(new Set(holders).size).toBe(6);
  });

  it("accepts DATABASE_POOL_MODE=transaction with the database's statement_timeout within DB_STATEMENT_TIMEOUT_MS", async () => {
    await expect(checkPoolMode(db, "transaction", STATEMENT_TIMEOUT_MS)).resolves.toBeUndefined();
  });

  it("refuses DATABASE_POOL_MODE=transaction when the database's own statement_timeout is longer, naming the fix", async () => {
    const err = await checkPoolMode(db, "transaction", 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: "failed_precondition", code: "storage.pool_mode_mismatch" });
    const message = (err as Error).message;
    expect(message).toContain("DB_STATEMENT_TIMEOUT_MS=300");
    expect(message).toContain(`(it is ${DATABASE_TIMEOUT_MS} ms)`);
    expect(message).toContain(`ALTER ROLE "postgres" SET statement_timeout = '300ms'`);
    expect(message).not.toContain("\n");
  });

  it("refuses the default DATABASE_POOL_MODE=direct through PgBouncer, which refuses the timeouts sent at connect", async () => {
    const direct = openPostgres(bouncer.url, { max: 1 });
    try {
      const err = await checkPoolMode(direct, "direct", STATEMENT_TIMEOUT_MS).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "failed_precondition", code: "storage.pool_mode_mismatch" });
      expect((err as Error).message).toMatch(/^DATABASE_URL reaches a pooler that refuses .*unsupported startup parameter: statement_timeout.*set DATABASE_POOL_MODE=transaction/);
    } finally {
      await direct.close();
    }
  });

  it("refuses, with DATABASE_POOL_MODE=transaction, a startup parameter from the environment (PGOPTIONS), naming it", async () => {
    process.env.PGOPTIONS = "-c search_path=public";
    const withOptions = openPostgres(bouncer.url, { max: 1, poolMode: "transaction" });
    try {
      const err = await checkPoolMode(withOptions, "transaction", STATEMENT_TIMEOUT_MS).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "storage.pool_mode_mismatch" });
      expect((err as Error).message).toMatch(/^the pooler at DATABASE_URL refuses a startup parameter set in the environment \(unsupported startup parameter: options\): unset it, e\.g\. PGOPTIONS/);
    } finally {
      delete process.env.PGOPTIONS;
      await withOptions.close();
    }
  });

  it("DATABASE_POOL_MODE=transaction works against Postgres itself too (no pooler in between)", async () => {
    const straight = openPostgres(created.url, { max: 2, statementTimeoutMs: STATEMENT_TIMEOUT_MS, poolMode: "transaction" });
    try {
      await checkPoolMode(straight, "transaction", STATEMENT_TIMEOUT_MS);
      expect(await straight.transaction((tx) => tx.query("SELECT current_setting('statement_timeout') AS statement"))).toEqual([{ statement: "1s" }]);
      expect(await straight.query("SELECT current_setting('statement_timeout') AS statement")).toEqual([{ statement: `${DATABASE_TIMEOUT_MS}ms` }]);
    } finally {
      await straight.close();
    }
  });

  it("refuses DATABASE_POOL_MODE=direct through a PgBouncer that silently drops the timeouts (ignore_startup_parameters)", async () => {
    const dropping = await startPgbouncer(created.url, { ignoreStartupParameters: ["statement_timeout", "idle_in_transaction_session_timeout"] });
    const direct = openPostgres(dropping.url, { max: 1, statementTimeoutMs: STATEMENT_TIMEOUT_MS });
    try {
      const err = await checkPoolMode(direct, "direct", STATEMENT_TIMEOUT_MS).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "failed_precondition", code: "storage.pool_mode_mismatch" });
      expect((err as Error).message).toMatch(
        new RegExp(`^statement_timeout in effect is ${DATABASE_TIMEOUT_MS} ms, not the DB_STATEMENT_TIMEOUT_MS=${STATEMENT_TIMEOUT_MS} sent at connect: .*set DATABASE_POOL_MODE=transaction`),
      );
    } finally {
      await direct.close();
      await dropping.stop();
    }
  });

  it("bounds a call by the client's query timeout when the pooler itself stalls", async () => {
    await db.query("SELECT 1"); // a pooled connection exists
    bouncer.pause();
    try {
      const err = await db.query("SELECT 1").catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: "unavailable", code: "storage.database_unavailable" });
      expect(((err as Error).cause as Error).message).toBe("Query read timeout");
    } finally {
      bouncer.resume();
    }
    expect(await db.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });
});
