/** `npm run migrate`: applies pending SQL migrations to DATABASE_URL (Postgres) or PGLITE_DATA_DIR (embedded). */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { openPglite, openPostgres, type Database } from "../adapters/sql/database.js";
import { migrate, type MigrateResult } from "../adapters/sql/migrations.js";
import { lockPgliteDirectory, type PgliteLock } from "../adapters/sql/pglite-lock.js";
import { poolModeFromEnv } from "../adapters/sql/pool-mode.js";
import { readDotEnv, withDotEnv, type Environment } from "../config/env-file.js";
import { projectRoot } from "../config/project-root.js";

const DEFAULT_PGLITE_DATA_DIR = "./data/pglite";

/** Opens the configured database, migrates it, closes it; returns what was applied and where. */
export async function runMigrate(
  env: Environment,
  log: (line: string) => void,
): Promise<MigrateResult & { readonly target: string }> {
  const url = env.DATABASE_URL;
  let db: Database;
  let target: string;
  let lock: PgliteLock | undefined;
  if (url !== undefined && url !== "") {
    // Every migration step is a transaction: behind PgBouncer its timeouts are SET LOCAL.
    db = openPostgres(url, { max: 1, poolMode: poolModeFromEnv(env.DATABASE_POOL_MODE) });
    target = "postgres";
  } else {
    const dir = resolve(env.PGLITE_DATA_DIR ?? DEFAULT_PGLITE_DATA_DIR);
    // A running `npm start` holds the directory; PGlite is single-process.
    lock = lockPgliteDirectory(dir);
    try {
      db = await openPglite(dir);
    } catch (e) {
      lock.release();
      throw e;
    }
    target = `pglite ${dir}`;
  }
  try {
    const result = await migrate(db, { logger: { info: (fields) => log(`applied ${String(fields.version)}_${String(fields.name)}`) } });
    return { ...result, target };
  } finally {
    await db.close();
    lock?.release();
  }
}

async function main(): Promise<void> {
  try {
    const env = withDotEnv(process.env, readDotEnv(join(projectRoot(), ".env")));
    const result = await runMigrate(env, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(
      `${result.target}: schema at version ${result.version} (${result.applied.length === 0 ? "nothing to apply" : `applied ${result.applied.length}`})\n`,
    );
  } catch (e) {
    process.stderr.write(`migrate: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
