/** Composition step: the database (Postgres, or embedded PGlite in development), migrated, with its readiness probe. */
import { mkdirSync } from "node:fs";
import { openPglite, openPostgres, type Database } from "../adapters/sql/database.js";
import { migrate } from "../adapters/sql/migrations.js";
import { lockPgliteDirectory, type PgliteLock } from "../adapters/sql/pglite-lock.js";
import { checkPoolMode } from "../adapters/sql/pool-mode.js";
import { createSqlPersister, type SqlPersister } from "../adapters/sql/persister.js";
import type { Config } from "../config/types.js";
import type { HealthRegistry } from "../server/health-registry.js";
import type { Logger } from "../telemetry/logger.js";
import type { Opened } from "./closers.js";
import { dependencyProbe } from "./probes.js";

async function openDatabase(config: Config, logger: Logger): Promise<{ db: Database; lock?: PgliteLock }> {
  const url = config.storage.databaseUrl;
  if (url !== undefined) {
    const db = openPostgres(url, {
      statementTimeoutMs: config.storage.statementTimeoutMs,
      poolMode: config.storage.poolMode,
      onIdleError: (err) => logger.warn({ err }, "postgres connection failed; it is replaced"),
    });
    return { db };
  }
  logger.warn(
    { dataDir: config.storage.pgliteDataDir },
    "DEVELOPMENT SETUP: no DATABASE_URL, using embedded PGlite (single process only; not for production)",
  );
  if (config.storage.pgliteDataDir.startsWith("memory://")) return { db: await openPglite(config.storage.pgliteDataDir) };
  mkdirSync(config.storage.pgliteDataDir, { recursive: true, mode: 0o700 });
  // PGlite is single-process: a second service on the same directory would corrupt it.
  const lock = lockPgliteDirectory(config.storage.pgliteDataDir);
  try {
    return { db: await openPglite(config.storage.pgliteDataDir), lock };
  } catch (e) {
    lock.release();
    throw e;
  }
}

export interface OpenedStorage {
  readonly db: Database;
  readonly storage: SqlPersister;
}

/** Opens and migrates the database, registers the "postgres" probe, and returns the repositories over it. */
export async function openStorage(config: Config, logger: Logger, health: HealthRegistry): Promise<Opened<OpenedStorage>> {
  const { db, lock } = await openDatabase(config, logger);
  const close = async (): Promise<void> => {
    await db.close();
    lock?.release();
  };
  try {
    // Before anything else: a pooler that refuses or drops the timeouts is named here, in one line.
    if (db.kind === "postgres") await checkPoolMode(db, config.storage.poolMode, config.storage.statementTimeoutMs);
    await migrate(db, { logger: { info: (message) => logger.info(message) } });
  } catch (e) {
    await close();
    throw e;
  }
  health.register("postgres", async () => void (await db.query("SELECT 1")), dependencyProbe(config));
  return { value: { db, storage: createSqlPersister(db) }, close };
}
