/**
 * Debian's PgBouncer (/usr/sbin/pgbouncer) in transaction pooling mode for tests: its own ini and userlist in a
 * temporary directory, its own free port, a pool of 2 server connections per test database (so sessions really are
 * shared between transactions), stopped by the test. The "pgbouncer" target puts it in front of a fresh database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openPostgres, type Database } from "../../src/adapters/sql/database.js";
import { migrate } from "../../src/adapters/sql/migrations.js";
import { adapterRun, adminQuery, createTestDatabase, databaseTargets, type DatabaseTarget, type OpenOptions, type TestDatabase } from "./databases.js";
import { freePort } from "./free-port.js";

const BINARY = process.env.PGBOUNCER_PATH ?? "/usr/sbin/pgbouncer";

/** Server connections per database and user: fewer than the pg pools' clients, so transactions share sessions. */
export const PGBOUNCER_POOL_SIZE = 2;

/**
 * The test database's own statement_timeout (ALTER DATABASE), which DATABASE_POOL_MODE=transaction requires:
 * equal to DB_STATEMENT_TIMEOUT_MS's default, so openPostgres's defaults pass the start-up check.
 */
export const PGBOUNCER_DATABASE_STATEMENT_TIMEOUT_MS = 5000;

export interface Pgbouncer {
  /** postgres://user@127.0.0.1:<port>/<database>: the database through PgBouncer. */
  readonly url: string;
  /** PgBouncer's log so far (stderr), for failure messages. */
  log(): string;
  /** Freezes PgBouncer (SIGSTOP): connections stay open, nothing answers, like a stalled pooler or server. */
  pause(): void;
  /** Lets a paused PgBouncer run again (SIGCONT). */
  resume(): void;
  /** Stops PgBouncer (SIGTERM, then SIGKILL after 3 s) and removes its directory. */
  stop(): Promise<void>;
}


/** A value in pgbouncer.ini's connection strings and userlist: quoted, quotes doubled. */
function quoted(value: string, quote: string): string {
  return `${quote}${value.replaceAll(quote, quote + quote)}${quote}`;
}

export interface PgbouncerOptions {
  /** ignore_startup_parameters: accepted at connect and silently dropped (default none: refused). */
  readonly ignoreStartupParameters?: readonly string[];
}

function writeConfig(dir: string, databaseUrl: URL, port: number, options: PgbouncerOptions): string {
  const user = decodeURIComponent(databaseUrl.username || "postgres");
  const password = decodeURIComponent(databaseUrl.password);
  const database = databaseUrl.pathname.replace(/^\//, "");
  const server = [
    `host=${databaseUrl.hostname}`,
    `port=${databaseUrl.port || "5432"}`,
    `dbname=${database}`,
    ...(password === "" ? [] : [`password=${quoted(password, "'")}`]),
  ].join(" ");
  writeFileSync(join(dir, "userlist.txt"), `${quoted(user, '"')} ${quoted(password, '"')}\n`);
  const ini = [
    "[databases]",
    `${database} = ${server}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = trust",
    `auth_file = ${join(dir, "userlist.txt")}`,
    "pool_mode = transaction",
    `default_pool_size = ${PGBOUNCER_POOL_SIZE}`,
    "max_client_conn = 200",
    // Strict by default: any startup parameter besides the few PgBouncer tracks is refused, none silently dropped.
    `ignore_startup_parameters = ${(options.ignoreStartupParameters ?? []).join(",")}`,
    "logfile =",
    "pidfile =",
  ].join("\n");
  const iniPath = join(dir, "pgbouncer.ini");
  writeFileSync(iniPath, `${ini}\n`);
  // As root PgBouncer must drop to another user (-u postgres), who reads these files.
  chmodSync(dir, 0o755);
  for (const f of ["userlist.txt", "pgbouncer.ini"]) chmodSync(join(dir, f), 0o644);
  return iniPath;
}

async function waitUntilServing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`pgbouncer exited at start:\n${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer within 10 s (${String(e)}):\n${log()}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Whether PgBouncer is installed here. */
export function pgbouncerInstalled(): boolean {
  return existsSync(BINARY);
}

/** Starts PgBouncer on a free port in front of the one database of `databaseUrl` (a Postgres URL with its name). */
export async function startPgbouncer(databaseUrl: string, options: PgbouncerOptions = {}): Promise<Pgbouncer> {
  const target = new URL(databaseUrl);
  const dir = mkdtempSync(join(tmpdir(), "aid-pgbouncer-"));
  const port = await freePort();
  const iniPath = writeConfig(dir, target, port, options);
  const asRoot = process.getuid?.() === 0;
  const child = spawn(BINARY, [...(asRoot ? ["-u", "postgres"] : []), iniPath], { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  });
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${port}`;
  url.password = "";
  const stop = async (): Promise<void> => {
    child.kill("SIGCONT"); // a paused process acts on SIGTERM only once it runs again
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(url.toString(), child, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url: url.toString(),
    log: () => output,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    stop,
  };
}

/**
 * A fresh database (with its own statement_timeout) behind its own PgBouncer, opened in DATABASE_POOL_MODE
 * transaction; dispose stops PgBouncer and drops the database.
 */
function pgbouncerTarget(adminUrl: string): DatabaseTarget {
  return {
    name: "pgbouncer",
    async open(options: OpenOptions = {}): Promise<TestDatabase> {
      const created = await createTestDatabase(adminUrl);
      let bouncer: Pgbouncer | undefined;
      let db: Database | undefined;
      try {
        await adminQuery(adminUrl, `ALTER DATABASE ${created.name} SET statement_timeout = '${PGBOUNCER_DATABASE_STATEMENT_TIMEOUT_MS}ms'`);
        bouncer = await startPgbouncer(created.url);
        db = openPostgres(bouncer.url, { max: 10, poolMode: "transaction" });
        if (options.migrate !== false) await migrate(db);
      } catch (e) {
        await db?.close();
        await bouncer?.stop();
        await created.drop();
        throw e;
      }
      const [opened, running] = [db, bouncer];
      return {
        ...opened,
        url: running.url,
        poolMode: "transaction",
        async dispose(): Promise<void> {
          await opened.close();
          await running.stop();
          await created.drop();
        },
      };
    },
  };
}

/**
 * The PgBouncer target when this run reaches real Postgres (TEST_DATABASE_URL, not an embedded-only run) and PgBouncer
 * is installed; with CI=true a missing PgBouncer fails instead of skipping.
 */
export function pgbouncerTargetIfAvailable(): DatabaseTarget | undefined {
  const url = process.env.TEST_DATABASE_URL;
  if (adapterRun() === "embedded" || url === undefined || url === "") return undefined;
  if (!pgbouncerInstalled()) {
    if (process.env.CI === "true") throw new Error(`${BINARY} is missing: CI=true requires PgBouncer (apt-get install pgbouncer)`);
    return undefined;
  }
  return pgbouncerTarget(url);
}

/** databaseTargets() and, when available, the same database behind PgBouncer: for the SQL adapter suites. */
export function sqlAdapterTargets(): DatabaseTarget[] {
  const bouncer = pgbouncerTargetIfAvailable();
  return [...databaseTargets(), ...(bouncer === undefined ? [] : [bouncer])];
}
