/** Composition step: the database (Postgres, or embedded PGlite in development), migrated, with its readiness probe. */
import { mkdirSync } from "node:fs";
import { openPglite, openPostgres, type Database } from "../adapters/sql/database.js";
import { migrate } from "../adapters/sql/migrations.js";
import { createSqlStorage, type SqlStorage } from "../adapters/sql/storage.js";
import type { Config } from "../config/types.js";
import type { HealthRegistry } from "../server/health-registry.js";
import type { Logger } from "../telemetry/logger.js";
import type { Opened } from "./closers.js";
import { dependencyProbe } from "./probes.js";

async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  const url = config.storage.databaseUrl;
  if (url !== undefined) {
    return openPostgres(url, {
      statementTimeoutMs: config.storage.statementTimeoutMs,
      onIdleError: (err) => logger.warn({ err }, "postgres connection failed; it is replaced"),
    });
  }
  logger.warn(
    { dataDir: config.storage.pgliteDataDir },
    "DEVELOPMENT SETUP: no DATABASE_URL, using embedded PGlite (single process only; not for production)",
  );
  if (!config.storage.pgliteDataDir.startsWith("memory://")) mkdirSync(config.storage.pgliteDataDir, { recursive: true, mode: 0o700 });
  return openPglite(config.storage.pgliteDataDir);
}

/** Opens and migrates the database, registers the "postgres" probe, and returns the repositories over it. */
export async function openStorage(config: Config, logger: Logger, health: HealthRegistry): Promise<Opened<SqlStorage>> {
  const db = await openDatabase(config, logger);
  try {
    await migrate(db, { logger: { info: (message) => logger.info(message) } });
  } catch (e) {
    await db.close();
    throw e;
  }
  health.register("postgres", async () => void (await db.query("SELECT 1")), dependencyProbe(config));
  return { value: createSqlStorage(db), close: () => db.close() };
}
