/**
 * DATABASE_POOL_MODE: where the Postgres session settings go (connect-time parameters for a direct connection,
 * SET LOCAL per transaction behind a transaction pooler such as PgBouncer), and the start-up check that they hold.
 */
import { DomainError } from "../../domain/errors.js";

/**
 * direct: every pooled connection is its own Postgres session (Postgres itself), so the timeouts are startup
 * parameters. transaction: connections reach a pooler that hands out a server session per transaction (PgBouncer
 * in any pool_mode: it refuses unknown startup parameters, or drops them with ignore_startup_parameters).
 */
export type PoolMode = "direct" | "transaction";

const POOL_MODES: readonly PoolMode[] = ["direct", "transaction"];

/** DATABASE_POOL_MODE for the command-line tools that open DATABASE_URL themselves: unset is direct. */
export function poolModeFromEnv(value: string | undefined): PoolMode {
  const mode = value?.trim() ?? "";
  if (mode === "") return "direct";
  if ((POOL_MODES as readonly string[]).includes(mode)) return mode as PoolMode;
  throw new Error(`DATABASE_POOL_MODE must be one of ${POOL_MODES.join(", ")}`);
}

/** A transaction left open by a stalled caller must not hold locks (the audit chain lock) for long. */
function idleInTransactionTimeoutMs(statementTimeoutMs: number): number {
  return Math.max(statementTimeoutMs * 2, 1000);
}

export interface SessionPlan {
  /** pg connection settings sent at connect (none behind a transaction pooler). */
  readonly startup: { readonly statement_timeout?: number; readonly idle_in_transaction_session_timeout?: number };
  /** What opens a transaction: BEGIN, and behind a pooler the timeouts for this transaction only (one round trip). */
  readonly begin: string;
}

/** How the timeouts reach the server in `mode`. */
export function sessionPlan(mode: PoolMode, statementTimeoutMs: number): SessionPlan {
  const statement = Math.floor(statementTimeoutMs);
  const idle = idleInTransactionTimeoutMs(statement);
  if (mode === "direct") return { startup: { statement_timeout: statement, idle_in_transaction_session_timeout: idle }, begin: "BEGIN" };
  return {
    startup: {},
    begin: `BEGIN; SET LOCAL statement_timeout = ${statement}; SET LOCAL idle_in_transaction_session_timeout = ${idle}`,
  };
}

const GUIDE = 'docs/operations.md "PgBouncer"';

function mismatch(message: string, cause?: unknown): DomainError {
  return new DomainError("failed_precondition", "storage.pool_mode_mismatch", message, { cause });
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** True when the connection was refused for a startup parameter (PgBouncer: "unsupported startup parameter: ..."). */
function refusedStartupParameter(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
    if (cur.message.includes("unsupported startup parameter")) return cur.message;
  }
  return undefined;
}

/** The one statement the check runs (database.ts's Queryable; not imported, database.ts imports this file). */
interface StatementRunner {
  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

interface SessionRow {
  ms: number;
  role: string;
  database: string;
}

/**
 * Checks at start, on a plain statement outside any transaction, that the statement timeout really bounds it:
 * direct: the value sent at connect is in effect (a pooler did not refuse or drop it); transaction: the role's or
 * database's own statement_timeout is on and at most DB_STATEMENT_TIMEOUT_MS (transactions set theirs with SET LOCAL).
 * Throws failed_precondition "storage.pool_mode_mismatch" with one line naming the setting to change.
 */
export async function checkPoolMode(db: StatementRunner, mode: PoolMode, statementTimeoutMs: number): Promise<void> {
  let row: SessionRow | undefined;
  try {
    const rows = await db.query<SessionRow>(
      "SELECT setting::int AS ms, current_user AS role, current_database() AS database FROM pg_settings WHERE name = 'statement_timeout'",
    );
    row = rows[0];
  } catch (e) {
    const refused = refusedStartupParameter(e);
    if (refused === undefined) throw e;
    if (mode === "direct") {
      throw mismatch(
        `DATABASE_URL reaches a pooler that refuses the timeouts the service sends at connect (${refused}): ` +
          `set DATABASE_POOL_MODE=transaction (${GUIDE})`,
        e,
      );
    }
    // The service sends none in this mode: the parameter came from the environment (PGOPTIONS, PGAPPNAME...).
    throw mismatch(`the pooler at DATABASE_URL refuses a startup parameter set in the environment (${refused}): unset it, e.g. PGOPTIONS (${GUIDE})`, e);
  }
  if (row === undefined) throw new Error("pg_settings has no statement_timeout row");
  const wanted = Math.floor(statementTimeoutMs);
  if (mode === "direct") {
    if (row.ms === wanted) return;
    throw mismatch(
      `statement_timeout in effect is ${row.ms} ms, not the DB_STATEMENT_TIMEOUT_MS=${wanted} sent at connect: ` +
        `DATABASE_URL reaches a pooler that drops startup parameters (PgBouncer ignore_startup_parameters) or sets its own; ` +
        `set DATABASE_POOL_MODE=transaction (${GUIDE})`,
    );
  }
  if (row.ms > 0 && row.ms <= wanted) return;
  throw mismatch(
    `DATABASE_POOL_MODE=transaction needs the database's own statement_timeout between 1 and DB_STATEMENT_TIMEOUT_MS=${wanted} ms ` +
      `(it is ${row.ms === 0 ? "0, off" : `${row.ms} ms`}), so that a statement outside a transaction is bounded too: ` +
      `ALTER ROLE ${quoteIdentifier(row.role)} SET statement_timeout = '${wanted}ms' ` +
      `(or ALTER DATABASE ${quoteIdentifier(row.database)} ...), then RECONNECT in the PgBouncer console (${GUIDE})`,
  );
}
