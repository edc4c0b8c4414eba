/** The one small query interface the repositories use, with its Postgres (pg pool) and PGlite adapters. */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { DomainError, unavailable } from "../../domain/errors.js";
import { sessionPlan, type PoolMode } from "./pool-mode.js";

/** Anything that runs parameterised SQL: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement with $1.. parameters and returns its rows. int8 columns come back as strings. */
  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a multi-statement script without parameters (migrations). */
  execScript(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: "postgres" | "pglite";
  /** Runs fn in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

interface PostgresOptions {
  /** Pool size (default 10). */
  readonly max?: number;
  /** How long to wait for a connection before failing as unavailable (default 5000 ms). */
  readonly connectionTimeoutMillis?: number;
  /** Errors of pooled connections, idle or checked out (the connection is dropped; the next query reports). */
  readonly onIdleError?: (error: Error) => void;
  /** Server-side statement timeout: a statement running longer is cancelled and answers unavailable (default 5000 ms). */
  readonly statementTimeoutMs?: number;
  /** direct (default): timeouts sent at connect; transaction: behind PgBouncer, SET LOCAL in each transaction. */
  readonly poolMode?: PoolMode;
}

/** DB_STATEMENT_TIMEOUT_MS default: a stalled Postgres fails a call within this, never holds it open. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
]);

/** True for failures that mean "the database cannot be reached", as opposed to a bad statement. */
function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_ERROR_CODES.has(code) || code.startsWith("08"))) return true;
  const m = e.message.toLowerCase();
  return (
    m.includes("connection terminated") ||
    m.includes("timeout exceeded when trying to connect") ||
    m.includes("connection error") ||
    m.includes("cannot use a pool after calling end") ||
    m.includes("client was closed") ||
    m.includes("not queryable") ||
    m.includes("query read timeout")
  );
}

/** 57014 query_canceled: the statement timeout (or a cancel) stopped the statement. */
function isTimeout(e: unknown): boolean {
  return e instanceof Error && (e as { code?: unknown }).code === "57014";
}

function mapError(e: unknown): unknown {
  if (e instanceof DomainError) return e;
  if (isConnectionError(e)) return unavailable("storage.database_unavailable", "database", e);
  if (isTimeout(e)) return unavailable("storage.database_timeout", "database", e);
  return e;
}

function clientQueryable(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        const result = await client.query(sql, params as unknown[]);
        return result.rows as R[];
      } catch (e) {
        throw mapError(e);
      }
    },
    async execScript(sql: string): Promise<void> {
      try {
        await client.query(sql);
      } catch (e) {
        throw mapError(e);
      }
    },
  };
}

/** Runs fn in one transaction on a checked-out client; a client that broke meanwhile is destroyed, not reused. */
async function poolTransaction<T>(
  pool: pg.Pool,
  begin: string,
  onError: (error: Error) => void,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw mapError(e);
  }
  // While checked out, the pool's own error listener is off: a backend terminated between statements
  // (failover, pooler restart) emits "error" here, and without a listener the process would exit.
  let broken: Error | undefined;
  const onClientError = (error: Error): void => {
    broken = error;
    onError(error);
  };
  client.on("error", onClientError);
  const release = (destroy?: Error | boolean): void => {
    client.off("error", onClientError);
    client.release(destroy ?? broken);
  };
  const tx = clientQueryable(client);
  try {
    await tx.execScript(begin);
    const result = await fn(tx);
    await tx.execScript("COMMIT");
    release();
    return result;
  } catch (e) {
    try {
      if (broken !== undefined) throw broken;
      await client.query("ROLLBACK");
      release();
    } catch (rollbackError) {
      // The connection is in an unknown state: destroy it instead of returning it to the pool.
      release(rollbackError instanceof Error ? rollbackError : true);
    }
    throw mapError(e);
  }
}

/** A Postgres database behind a pg pool. Connection failures surface as DomainError unavailable. */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const plan = sessionPlan(options.poolMode ?? "direct", statementTimeoutMs);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    ...plan.startup,
    // A frozen server (or pooler) cancels nothing: the client gives up too, a second after the server-side timeout.
    query_timeout: statementTimeoutMs + 1000,
  });
  const onError = (error: Error): void => options.onIdleError?.(error);
  pool.on("error", onError);
  const direct = clientQueryable(pool);
  return {
    kind: "postgres",
    query: direct.query,
    execScript: direct.execScript,
    transaction: (fn) => poolTransaction(pool, plan.begin, onError, fn),
    async close(): Promise<void> {
      await pool.end();
    },
  };
}

const INT8_OID = 20;

/**
 * An embedded PGlite database in `dataDir` (a directory, or "memory://"). PGlite runs one statement at a time
 * and holds its own mutex around transactions, so transactions are serialised.
 */
export async function openPglite(dataDir: string): Promise<Database> {
  const db = await PGlite.create({ dataDir, parsers: { [INT8_OID]: (value: string) => value } });
  return {
    kind: "pglite",
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await db.query<R>(sql, params as unknown[]);
      return result.rows;
    },
    async execScript(sql: string): Promise<void> {
      await db.exec(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction(async (tx) =>
        fn({
          async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
            const result = await tx.query<R>(sql, params as unknown[]);
            return result.rows;
          },
          async execScript(sql: string): Promise<void> {
            await tx.exec(sql);
          },
        }),
      );
    },
    async close(): Promise<void> {
      await db.close();
    },
  };
}
