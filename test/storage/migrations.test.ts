/** Migrations: all on an empty database, twice (no-op), concurrent appliers, a newer schema refused. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/adapters/sql/database.js";
import { compatibleWithOf, loadMigrations, migrate, type Migration } from "../../src/adapters/sql/migrations.js";
import { DomainError } from "../../src/domain/errors.js";
import type { TestDatabase } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";

const EXPECTED_TABLES = [
  "agent_keys",
  "agent_manifests",
  "agents",
  "audit_checkpoints",
  "audit_events",
  "credentials",
  "embedded_replay_epoch",
  "embedded_replay_nonces",
  "issuer_keys",
  "orgs",
  "schema_migrations",
  "trust_events",
  "trust_state",
];

describe.each(sqlAdapterTargets())("migrations on $name", (target) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await target.open({ migrate: false });
  });
  afterAll(async () => {
    await db.dispose();
  });

  it("applies every migration on an empty database, then is a no-op", async () => {
    const known = loadMigrations();
    expect(known.length).toBeGreaterThan(0);
    const first = await migrate(db);
    expect(first.applied).toEqual(known.map((m) => m.version));
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(EXPECTED_TABLES);
    const rows = await db.query<{ version: number; checksum: string }>("SELECT version, checksum FROM schema_migrations ORDER BY version");
    expect(rows).toEqual(known.map((m) => ({ version: m.version, checksum: m.checksum })));

    const second = await migrate(db);
    expect(second.applied).toEqual([]);
    expect(second.version).toBe(first.version);
  });

  it("applies a later migration on top, keeping existing data", async () => {
    await db.query("INSERT INTO orgs (id, name, tier, created_at) VALUES ('org_keep', 'Keep', 'verified', now())");
    const next: Migration = {
      version: 9000,
      name: "test_expand",
      sql: "ALTER TABLE orgs ADD COLUMN test_note text; CREATE TABLE test_extra (x int);",
      checksum: "f".repeat(64),
      compatibleWith: 9000,
    };
    const result = await migrate(db, { migrations: [...loadMigrations(), next] });
    expect(result.applied).toEqual([9000]);
    const rows = await db.query<{ name: string; test_note: string | null }>("SELECT name, test_note FROM orgs WHERE id = 'org_keep'");
    expect(rows).toEqual([{ name: "Keep", test_note: null }]);
  });

  it("refuses a schema newer than the binary knows", async () => {
    // The database now has version 9000, which the bundled migrations do not know.
    const err = await migrate(db).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("storage.schema_too_new");
  });

  it("accepts a newer expand-only migration (compatible-with this binary): an image rollback starts", async () => {
    const known = loadMigrations();
    const newest = known[known.length - 1]!.version;
    const expand: Migration = {
      version: 9001,
      name: "test_expand_only",
      sql: `-- compatible-with: ${newest}\nCREATE TABLE test_expand_only (x int);`,
      checksum: "e".repeat(64),
      compatibleWith: compatibleWithOf(9001, `-- compatible-with: ${newest}\n`),
    };
    await db.query("DELETE FROM schema_migrations WHERE version = 9000");
    await migrate(db, { migrations: [...known, expand] });
    // The previous binary (without 9001) still starts against this schema.
    expect((await migrate(db)).applied).toEqual([]);
    await db.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (9000, 'test_contract', 'x')");
  });

  it("refuses an applied migration whose file changed", async () => {
    const known = loadMigrations();
    const tampered = known.map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
    const extra: Migration = { version: 9000, name: "test_expand", sql: "", checksum: "f".repeat(64), compatibleWith: 9000 };
    const err = await migrate(db, { migrations: [...tampered, extra] }).catch((e: unknown) => e);
    expect((err as DomainError).code).toBe("storage.migration_checksum_mismatch");
  });
});

// Real Postgres, directly and through PgBouncer (transaction pooling: each step's advisory lock is per transaction).
const servers = sqlAdapterTargets().filter((t) => t.name !== "pglite");

describe.runIf(servers.length > 0).each(servers)("migrations on $name: concurrent appliers", (server) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await server.open({ migrate: false });
  });
  afterAll(async () => {
    await db.dispose();
  });

  it("two replicas migrating at once apply each migration exactly once", async () => {
    const a = openPostgres(db.url!, { max: 2, poolMode: db.poolMode });
    const b = openPostgres(db.url!, { max: 2, poolMode: db.poolMode });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const all = [...ra.applied, ...rb.applied].sort((x, y) => x - y);
      expect(all).toEqual(loadMigrations().map((m) => m.version));
      const rows = await db.query<{ n: string }>("SELECT count(*) AS n FROM schema_migrations");
      expect(Number(rows[0]!.n)).toBe(loadMigrations().length);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
