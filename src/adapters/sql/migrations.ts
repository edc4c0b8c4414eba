/**
 * Versioned SQL migrations: load NNNN_name.sql files, apply pending ones in order under an advisory lock.
 *
 * Expand/contract: a migration file may say `-- compatible-with: NNNN`, the oldest schema version whose binaries
 * still run correctly after it (an expand step: new tables, nullable columns). Without the line it is a contract
 * step: only binaries that know the migration itself may run. A binary refuses a database whose applied
 * migrations demand a newer binary than it is, and accepts newer expand-only migrations, so rolling back to the
 * previous image works without restoring data.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { DomainError } from "../../domain/errors.js";
import type { Database, Queryable } from "./database.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** hex SHA-256 of the file's bytes. */
  readonly checksum: string;
  /** The oldest schema version whose binaries may run after this migration (its own version if not declared). */
  readonly compatibleWith: number;
}

interface MigrationLogger {
  info(fields: Record<string, unknown>, message: string): void;
}

interface MigrateOptions {
  readonly logger?: MigrationLogger;
  /** The migrations this binary knows (default: the bundled files). */
  readonly migrations?: readonly Migration[];
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  readonly applied: readonly number[];
  /** The schema version after the call. */
  readonly version: number;
}

/** pg_advisory_xact_lock key serialising migration runs across replicas ("aidmigr" in ASCII-ish). */
const MIGRATION_LOCK_KEY = 7_301_001_001;

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const COMPATIBLE_WITH = /^--\s*compatible-with:\s*(\d+)\s*$/m;

/** The `-- compatible-with: NNNN` declaration of a migration's SQL, or its own version. */
export function compatibleWithOf(version: number, sql: string): number {
  const m = COMPATIBLE_WITH.exec(sql);
  if (m === null) return version;
  const declared = Number(m[1]);
  if (declared > version) throw new Error(`migration ${version}: compatible-with ${declared} is newer than the migration`);
  return declared;
}

/**
 * Where the .sql files live. From src/ (tsx) they sit beside this module. tsc does not copy .sql into dist/,
 * so from dist/src/adapters/sql/ we read the same files from the source tree: <root>/src/adapters/sql/migrations
 * (the image must ship that folder; a build that copies it to dist/src/adapters/sql/migrations works too).
 */
function migrationsDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "migrations")];
  const distMarker = `${sep}dist${sep}src${sep}`;
  const at = here.lastIndexOf(distMarker);
  if (at >= 0) candidates.push(join(here.slice(0, at), "src", here.slice(at + distMarker.length), "migrations"));
  for (const dir of candidates) {
    if (existsSync(dir) && readdirSync(dir).some((f) => FILE_PATTERN.test(f))) return dir;
  }
  throw new Error(`migration files not found (looked in ${candidates.join(", ")})`);
}

/** Reads and orders the migration files of `dir`; versions must be unique. */
export function loadMigrations(dir: string = migrationsDirectory()): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir)) {
    const m = FILE_PATTERN.exec(file);
    if (m === null) continue;
    const bytes = readFileSync(join(dir, file));
    const version = Number(m[1]);
    const sql = bytes.toString("utf8");
    out.push({
      version,
      name: m[2]!,
      sql,
      checksum: createHash("sha256").update(bytes).digest("hex"),
      compatibleWith: compatibleWithOf(version, sql),
    });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version) throw new Error(`duplicate migration version ${out[i]!.version}`);
  }
  return out;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  compatible_with: number | null;
}

async function lockAndReadApplied(tx: Queryable): Promise<AppliedRow[]> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
  await tx.execScript(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version     integer PRIMARY KEY,
       name        text NOT NULL,
       checksum    text NOT NULL,
       applied_at  timestamptz NOT NULL DEFAULT now()
     );
     ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS compatible_with integer`,
  );
  return tx.query<AppliedRow>("SELECT version, name, checksum, compatible_with FROM schema_migrations ORDER BY version");
}

/**
 * Refuses a schema that needs a newer binary (an applied migration beyond `known` that is not compatible with
 * it), or an applied migration whose file changed or disappeared. Newer expand-only migrations are accepted.
 */
function checkApplied(applied: readonly AppliedRow[], known: readonly Migration[]): void {
  const byVersion = new Map(known.map((m) => [m.version, m]));
  const newest = known.length === 0 ? 0 : known[known.length - 1]!.version;
  for (const row of applied) {
    if (row.version > newest) {
      const needs = row.compatible_with ?? row.version;
      if (needs > newest) {
        throw new DomainError(
          "failed_precondition",
          "storage.schema_too_new",
          `database schema version ${row.version} needs a binary that knows version ${needs}; this one knows ${newest}`,
        );
      }
      continue;
    }
    const m = byVersion.get(row.version);
    if (m === undefined) {
      throw new DomainError("failed_precondition", "storage.migration_missing", `applied migration ${row.version} is unknown to this binary`);
    }
    if (m.checksum !== row.checksum) {
      throw new DomainError(
        "failed_precondition",
        "storage.migration_checksum_mismatch",
        `applied migration ${row.version}_${row.name} differs from the bundled file`,
      );
    }
  }
}

/**
 * Applies every pending migration, each in its own transaction that first takes the migration advisory lock
 * and re-reads schema_migrations, so replicas starting together apply each step exactly once.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<MigrateResult> {
  const known = options.migrations ?? loadMigrations();
  const initial = await db.transaction(async (tx) => {
    const applied = await lockAndReadApplied(tx);
    checkApplied(applied, known);
    return applied;
  });
  const done = new Set(initial.map((r) => r.version));
  const appliedNow: number[] = [];
  for (const m of known) {
    if (done.has(m.version)) continue;
    const ran = await db.transaction(async (tx) => {
      const applied = await lockAndReadApplied(tx);
      checkApplied(applied, known);
      if (applied.some((r) => r.version === m.version)) return false; // another replica got there first
      await tx.execScript(m.sql);
      await tx.query("INSERT INTO schema_migrations (version, name, checksum, compatible_with) VALUES ($1, $2, $3, $4)", [
        m.version,
        m.name,
        m.checksum,
        m.compatibleWith,
      ]);
      return true;
    });
    if (ran) {
      appliedNow.push(m.version);
      options.logger?.info({ version: m.version, name: m.name }, "migration applied");
    }
  }
  const version = known.length === 0 ? 0 : known[known.length - 1]!.version;
  return { applied: appliedNow, version };
}
