/** Turns a start-up failure into one line an operator can act on: the cause and the setting to change. */
import { PgliteDirectoryInUseError } from "./adapters/sql/pglite-lock.js";
import { isClusterUrl, parseRedisEndpoint } from "./config/redis-url.js";
import type { Config } from "./config/types.js";
import { DomainError } from "./domain/errors.js";

const LISTENERS = [
  ["GRPC_PORT", "grpcPort"],
  ["BROWSER_PORT", "browserPort"],
  ["SIDECAR_PORT", "sidecarPort"],
] as const;

const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/** The error and its causes, outermost first (bounded). */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let cur = e; cur !== undefined && cur !== null && out.length < 8; cur = (cur as { cause?: unknown }).cause) out.push(cur);
  return out;
}

/** A driver's or the system's error code (a DomainError's code is ours, not one of these). */
function codeOf(e: unknown): string | undefined {
  if (e instanceof DomainError) return undefined;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A cluster URL's seed nodes (and user), never the password. */
function describeCluster(url: string): string {
  try {
    const endpoint = parseRedisEndpoint(url);
    if (endpoint.kind !== "cluster") return "the configured address";
    const user = endpoint.username === undefined ? "" : ` as ${endpoint.username}`;
    return `cluster seeds ${endpoint.seeds.map((s) => `${s.host}:${s.port}`).join(",")}${user}`;
  } catch {
    return "the configured address";
  }
}

/** host:port/database as role, never the password. */
function describeUrl(url: string, defaultPort: number): string {
  if (isClusterUrl(url)) return describeCluster(url);
  try {
    const u = new URL(url);
    const db = u.pathname.replace(/^\//, "");
    return `${u.hostname}:${u.port || defaultPort}${db === "" ? "" : `/${db}`}${u.username === "" ? "" : ` as ${decodeURIComponent(u.username)}`}`;
  } catch {
    return "the configured address";
  }
}

function portFailure(e: unknown, config: Config): string | undefined {
  const err = e as { code?: unknown; port?: unknown; address?: unknown };
  if ((err.code !== "EADDRINUSE" && err.code !== "EACCES") || typeof err.port !== "number") return undefined;
  const variable = LISTENERS.find(([, key]) => config.listen[key] === err.port)?.[0] ?? "GRPC_PORT, BROWSER_PORT or SIDECAR_PORT";
  const where = `port ${err.port} on ${typeof err.address === "string" ? err.address : config.listen.host}`;
  return err.code === "EADDRINUSE"
    ? `${where} is already in use (${variable}): stop the other process or set ${variable} to a free port`
    : `${where} may not be opened by this user (${variable}): use a port above 1023`;
}

function databaseFailure(errors: unknown[], config: Config): string | undefined {
  const url = config.storage.databaseUrl;
  const target = url === undefined ? `the embedded database ${config.storage.pgliteDataDir} (PGLITE_DATA_DIR)` : describeUrl(url, 5432);
  const setting = url === undefined ? "PGLITE_DATA_DIR" : "DATABASE_URL";
  const first = errors[0];
  // Already one line naming its setting (DATABASE_POOL_MODE), though its cause is a pooler's 08P01 refusal.
  if (first instanceof DomainError && first.code === "storage.pool_mode_mismatch") return first.message;
  for (const e of errors) {
    const code = codeOf(e);
    if (code === "42501") {
      return `the database role lacks privileges on ${target}: ${messageOf(e)} (${setting}: connect as the role that owns the database and its schema; docs/operations.md "Database role")`;
    }
    if (code === "28P01" || code === "28000") return `the database refused the login to ${target}: ${messageOf(e)} (${setting}: check the role and password)`;
    if (code === "3D000") return `the database does not exist on ${target}: ${messageOf(e)} (${setting}: create it or fix the database name)`;
    if (code !== undefined && url !== undefined && (UNREACHABLE.has(code) || code.startsWith("08"))) {
      return `cannot reach the database at ${target}: ${messageOf(e)} (${setting}: is Postgres running and the address right?)`;
    }
  }
  if (first instanceof DomainError && first.code === "storage.database_unavailable") {
    const cause = errors[1] === undefined ? first.message : messageOf(errors[1]);
    return `cannot reach the database at ${target}: ${cause} (${setting}: is Postgres running and the address right?)`;
  }
  return undefined;
}

/**
 * One line for `e`, thrown while starting with `config`. Known causes name the setting to change; anything
 * else is its message (main.ts adds the stack trace only at LOG_LEVEL=debug).
 */
export function describeStartupFailure(e: unknown, config: Config): string {
  if (e instanceof PgliteDirectoryInUseError) return e.message;
  const errors = chain(e);
  for (const err of errors) {
    const port = portFailure(err, config);
    if (port !== undefined) return port;
  }
  const database = databaseFailure(errors, config);
  if (database !== undefined) return database;
  if (e instanceof DomainError && e.code === "redis.unavailable" && config.storage.redisUrl !== undefined) {
    const cause = errors[1] === undefined ? e.message : messageOf(errors[1]);
    return `cannot reach Redis at ${describeUrl(config.storage.redisUrl, 6379)}: ${cause} (REDIS_URL: is Redis running and the address right?)`;
  }
  // Key files: the signer names the variable and the path (never the key).
  return messageOf(e);
}
