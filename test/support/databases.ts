/**
 * Test databases and Redis. Which adapters a run uses is TEST_ADAPTERS (set per vitest project): "embedded"
 * (unit, api: PGlite and the in-memory stores only), "real" (integration: Postgres and Redis only), unset (e2e and
 * direct runs: PGlite always, and real Postgres/Redis when TEST_DATABASE_URL/TEST_REDIS_URL are set).
 */
import { randomBytes } from "node:crypto";
import { deleteKeysWithPrefix } from "../../src/adapters/redis/keyspace.js";
import pg from "pg";
import { openPglite, openPostgres, type Database } from "../../src/adapters/sql/database.js";
import { migrate } from "../../src/adapters/sql/migrations.js";
import type { PoolMode } from "../../src/adapters/sql/pool-mode.js";

export interface TestDatabase extends Database {
  /** Postgres: the URL of this test's own database (to open a second pool on it); PGlite: undefined. */
  readonly url: string | undefined;
  /** How a second pool on `url` must be opened: "transaction" when `url` reaches PgBouncer (DATABASE_POOL_MODE). */
  readonly poolMode: PoolMode;
  /** Closes the database and, for Postgres, drops the test database. */
  dispose(): Promise<void>;
}

export interface OpenOptions {
  /** Apply the migrations before returning (default true). */
  readonly migrate?: boolean;
}

export interface DatabaseTarget {
  readonly name: "pglite" | "postgres" | "pgbouncer";
  open(options?: OpenOptions): Promise<TestDatabase>;
}

export type AdapterRun = "embedded" | "real" | "both";

/** The adapters this run tests (TEST_ADAPTERS). */
export function adapterRun(): AdapterRun {
  const value = process.env.TEST_ADAPTERS;
  return value === "embedded" || value === "real" ? value : "both";
}

/** Whether this run includes the embedded/in-memory targets of the contract suites. */
export function runsEmbedded(): boolean {
  return adapterRun() !== "real";
}

function ciRequires(variable: string): void {
  if (process.env.CI === "true" || adapterRun() === "real") throw new Error(`${variable} must be set when CI=true or TEST_ADAPTERS=real`);
}

function randomSuffix(): string {
  return randomBytes(8).toString("hex");
}

const pgliteTarget: DatabaseTarget = {
  name: "pglite",
  async open(options: OpenOptions = {}): Promise<TestDatabase> {
    const db = await openPglite("memory://");
    if (options.migrate !== false) await migrate(db);
    return { ...db, url: undefined, poolMode: "direct", dispose: () => db.close() };
  },
};

export interface CreatedDatabase {
  readonly name: string;
  /** adminUrl with this database's name. */
  readonly url: string;
  /** Drops it, ending any session still on it. */
  drop(): Promise<void>;
}

/** Runs one statement on its own connection to `adminUrl`. */
export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A new, empty database test_<random> on the server of `adminUrl`. */
export async function createTestDatabase(adminUrl: string): Promise<CreatedDatabase> {
  const name = `test_${randomSuffix()}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

function postgresTarget(adminUrl: string): DatabaseTarget {
  return {
    name: "postgres",
    async open(options: OpenOptions = {}): Promise<TestDatabase> {
      const created = await createTestDatabase(adminUrl);
      const db = openPostgres(created.url, { max: 10 });
      if (options.migrate !== false) await migrate(db);
      return {
        ...db,
        url: created.url,
        poolMode: "direct",
        async dispose(): Promise<void> {
          await db.close();
          await created.drop();
        },
      };
    },
  };
}

/** PGlite (unless the run is "real"); Postgres when TEST_DATABASE_URL is set (unless "embedded"). One per test file. */
export function databaseTargets(): DatabaseTarget[] {
  const run = adapterRun();
  const embedded = run === "real" ? [] : [pgliteTarget];
  if (run === "embedded") return embedded;
  const url = process.env.TEST_DATABASE_URL;
  if (url === undefined || url === "") {
    ciRequires("TEST_DATABASE_URL");
    return embedded;
  }
  return [...embedded, postgresTarget(url)];
}

/** The real Postgres target alone, or undefined when TEST_DATABASE_URL is unset (and CI is not set). */
export function postgresOnlyTarget(): DatabaseTarget | undefined {
  return databaseTargets().find((t) => t.name === "postgres");
}

export interface RedisTarget {
  readonly url: string;
  /** Every key a test writes starts with this ("test:<random>:"). */
  readonly prefix: string;
  /** Deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

/** A Redis URL and a unique key prefix when TEST_REDIS_URL is set (required when CI=true), else (and in "embedded" runs) undefined. */
export function redisTarget(): RedisTarget | undefined {
  if (adapterRun() === "embedded") return undefined;
  const url = process.env.TEST_REDIS_URL;
  if (url === undefined || url === "") {
    ciRequires("TEST_REDIS_URL");
    return undefined;
  }
  const prefix = `test:${randomSuffix()}:`;
  return {
    url,
    prefix,
    async cleanup(): Promise<void> {
      await deleteKeysWithPrefix(url, prefix);
    },
  };
}
