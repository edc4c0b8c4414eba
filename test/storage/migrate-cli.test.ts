/** `npm run migrate` logic: migrates the embedded database in PGLITE_DATA_DIR (and DATABASE_URL when set). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/adapters/sql/migrations.js";
import { runMigrate } from "../../src/cli/migrate.js";
import { postgresOnlyTarget, runsEmbedded, type TestDatabase } from "../support/databases.js";
import { pgbouncerTargetIfAvailable } from "../support/pgbouncer.js";

const versions = loadMigrations().map((m) => m.version);

describe("migrate cli", () => {
  const dir = mkdtempSync(join(tmpdir(), "migrate-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(runsEmbedded())("applies every migration to a PGlite data directory, then nothing", async () => {
    const lines: string[] = [];
    const first = await runMigrate({ PGLITE_DATA_DIR: join(dir, "db") }, (l) => lines.push(l));
    expect(first.applied).toEqual(versions);
    expect(lines).toEqual(loadMigrations().map((m) => `applied ${m.version}_${m.name}`));
    const second = await runMigrate({ PGLITE_DATA_DIR: join(dir, "db") }, (l) => lines.push(l));
    expect(second.applied).toEqual([]);
  }, 120_000); // two PGlite start-ups on a fresh data directory: slow on a loaded 2-core machine

  const postgres = postgresOnlyTarget();
  it.runIf(postgres !== undefined)("applies every migration to DATABASE_URL", async () => {
    const db: TestDatabase = await postgres!.open({ migrate: false });
    try {
      const result = await runMigrate({ DATABASE_URL: db.url }, () => undefined);
      expect(result).toMatchObject({ target: "postgres", applied: versions });
    } finally {
      await db.dispose();
    }
  });

  const bouncer = pgbouncerTargetIfAvailable();
  it.runIf(bouncer !== undefined)("applies every migration through PgBouncer with DATABASE_POOL_MODE=transaction, and refuses an unknown mode", async () => {
    const db: TestDatabase = await bouncer!.open({ migrate: false });
    try {
      await expect(runMigrate({ DATABASE_URL: db.url, DATABASE_POOL_MODE: "pgbouncer" }, () => undefined)).rejects.toThrow(
        "DATABASE_POOL_MODE must be one of direct, transaction",
      );
      const result = await runMigrate({ DATABASE_URL: db.url, DATABASE_POOL_MODE: "transaction" }, () => undefined);
      expect(result).toMatchObject({ target: "postgres", applied: versions });
    } finally {
      await db.dispose();
    }
  });
});
