/** Test databases and Redis: PGlite always, real Postgres/Redis when TEST_DATABASE_URL/TEST_REDIS_URL are set. */
import { randomBytes } from "node:crypto";
import { deleteKeysWithPrefix } from "../../src/adapters/redis/keyspace.js";
import pg from "pg";
import { openPglite, openPostgres, type Database } from "../../src/adapters/sql/database.js";
import { migrate } from "../../src/adapters/sql/migrations.js";

export interface TestDatabase extends Database {
  /** Postgres: the URL of this test's own database (to open a second pool on it); PGlite: undefined. */
  readonly url: string | undefined;
  /** Closes the database and, for Postgres, drops the test database. */
  dispose(): Promise<void>;
}

export interface OpenOptions {
  /** Apply the migrations before returning (default true). */
  readonly migrate?: boolean;
}

export interface DatabaseTarget {
  readonly name: "pglite" | "postgres";
  open(options?: OpenOptions): Promise<TestDatabase>;
}

function ciRequires(variable: string): void {
  if (process.env.CI === "true") throw new Error(`${variable} must be set when CI=true`);
}

function randomSuffix(): string {
  return randomBytes(8).toString("hex");
}

const pgliteTarget: DatabaseTarget = {
  name: "pglite",
  async open(options: OpenOptions = {}): Promise<TestDatabase> {
    const db = await openPglite("memory://");
    if (options.migrate !== false) await migrate(db);
    return { ...db, url: undefined, dispose: () => db.close() };
  },
};

function postgresTarget(adminUrl: string): DatabaseTarget {
  return {
    name: "postgres",
    async open(options: OpenOptions = {}): Promise<TestDatabase> {
      const name = `test_${randomSuffix()}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const db = openPostgres(url.toString(), { max: 10 });
      if (options.migrate !== false) await migrate(db);
      return {
        ...db,
        url: url.toString(),
        async dispose(): Promise<void> {
          await db.close();
          const dropper = new pg.Client({ connectionString: adminUrl });
          await dropper.connect();
          try {
            await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await dropper.end();
          }
        },
      };
    },
  };
}

/** PGlite always; Postgres when TEST_DATABASE_URL is set (required when CI=true). Open one per test file. */
export function databaseTargets(): DatabaseTarget[] {
  const url = process.env.TEST_DATABASE_URL;
  if (url === undefined || url === "") {
    ciRequires("TEST_DATABASE_URL");
    return [pgliteTarget];
  }
  return [pgliteTarget, postgresTarget(url)];
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

/** A Redis URL and a unique key prefix when TEST_REDIS_URL is set (required when CI=true), else undefined. */
export function redisTarget(): RedisTarget | undefined {
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
