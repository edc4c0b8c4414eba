/**
 * `npm run issuer:revoke -- <kid> [--force]` (or `-- --list`): emergency revoke of an issuer key in the database
 * (IssuerKeySet.revoke), then {kind:"issuer_keys"} on the Redis invalidation bus so every replica reloads its
 * key set and flushes its verification caches at once. Refuses the active key without --force.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRedis, waitForRedis } from "../adapters/redis/connection.js";
import { RedisInvalidationBus } from "../adapters/redis/invalidation-bus.js";
import { openPostgres } from "../adapters/sql/database.js";
import { poolModeFromEnv } from "../adapters/sql/pool-mode.js";
import { readDotEnv, withDotEnv, type Environment } from "../config/env-file.js";
import { projectRoot } from "../config/project-root.js";
import { systemClock, type Clock } from "../domain/clock.js";
import type { InvalidationBus } from "../domain/verify/invalidation.js";
import { type IssuerKeyRecord, type IssuerKeyRepository, IssuerKeySet } from "../domain/credentials/index.js";
import { sqlIssuerKeyRepository } from "../adapters/sql/persister-credentials.js";

const USAGE = "usage: npm run issuer:revoke -- <kid> [--force]   |   npm run issuer:revoke -- --list";
/** The publication window does not matter for a revoke; the key set needs a value. */
const ANY_CREDENTIAL_TTL_SECONDS = 3600;

export type RevokeCommand = { readonly kind: "list" } | { readonly kind: "revoke"; readonly kid: string; readonly force: boolean };

/** Parses argv; undefined means usage. */
export function parseRevokeArgs(argv: readonly string[]): RevokeCommand | undefined {
  if (argv.length === 1 && argv[0] === "--list") return { kind: "list" };
  const force = argv.includes("--force");
  const rest = argv.filter((a) => a !== "--force");
  if (rest.length !== 1 || rest[0]!.startsWith("-") || rest[0]!.trim() === "") return undefined;
  return { kind: "revoke", kid: rest[0]!, force };
}

export interface RevokeDeps {
  readonly repository: IssuerKeyRepository;
  /** The invalidation bus replicas listen on; undefined when there is none (then replicas see it on restart). */
  readonly bus: InvalidationBus | undefined;
  readonly clock?: Clock;
}

export type RevokeOutcome =
  | { readonly ok: true; readonly kid: string; readonly previousStatus: IssuerKeyRecord["status"]; readonly published: boolean }
  | { readonly ok: false; readonly reason: "unknown_kid" | "active_key"; readonly problem: string };

/** Revokes `kid`: refuses an unknown kid, and the active key unless `force`; announces the change on the bus. */
export async function revokeIssuerKey(deps: RevokeDeps, kid: string, force: boolean): Promise<RevokeOutcome> {
  const keySet = new IssuerKeySet({
    repository: deps.repository,
    clock: deps.clock ?? systemClock,
    maxCredentialTtlSeconds: ANY_CREDENTIAL_TTL_SECONDS,
  });
  await keySet.refresh();
  const record = keySet.all().find((r) => r.kid === kid);
  if (record === undefined) return { ok: false, reason: "unknown_kid", problem: `no issuer key with kid ${kid} (see --list)` };
  if (record.status === "active" && !force) {
    return {
      ok: false,
      reason: "active_key",
      problem:
        `${kid} is the ACTIVE issuer key: revoking it stops all issuing until a new key is configured. ` +
        "Make a new key active first (docs/issuer-rotation.md), or pass --force to revoke it anyway.",
    };
  }
  await keySet.revoke(kid);
  if (deps.bus !== undefined) await deps.bus.publish({ kind: "issuer_keys" });
  return { ok: true, kid, previousStatus: record.status, published: deps.bus !== undefined };
}

function describeKey(r: IssuerKeyRecord): string {
  const at = (ms: number | undefined): string => (ms === undefined ? "-" : new Date(ms).toISOString());
  return `${r.kid}  ${r.status.padEnd(7)}  ${r.alg.padEnd(5)}  created ${at(r.createdAtMs)}  retired ${at(r.retiredAtMs)}  revoked ${at(r.revokedAtMs)}`;
}

/** The issuer key records in the service's Postgres, and the invalidation bus when REDIS_URL is set. */
export interface IssuerKeyStore {
  readonly repository: IssuerKeyRepository;
  /** Connects to Redis (REDIS_URL, REDIS_KEY_PREFIX) on first use; undefined when REDIS_URL is unset. */
  bus(): Promise<InvalidationBus | undefined>;
  close(): Promise<void>;
}

/**
 * Opens the store from DATABASE_URL (behind PgBouncer: DATABASE_POOL_MODE=transaction); undefined when it is unset
 * (the embedded PGlite belongs to its one process). Throws on a DATABASE_POOL_MODE it does not know.
 */
export function openIssuerKeyStore(env: Environment): IssuerKeyStore | undefined {
  const databaseUrl = env.DATABASE_URL?.trim();
  if (databaseUrl === undefined || databaseUrl === "") return undefined;
  const db = openPostgres(databaseUrl, { max: 1, poolMode: poolModeFromEnv(env.DATABASE_POOL_MODE) });
  const redisUrl = env.REDIS_URL?.trim();
  const redis = redisUrl === undefined || redisUrl === "" ? undefined : createRedis(redisUrl);
  return {
    repository: sqlIssuerKeyRepository(db),
    async bus() {
      if (redis === undefined) return undefined;
      await waitForRedis(redis);
      return new RedisInvalidationBus(redis, env.REDIS_KEY_PREFIX?.trim() || "aid:");
    },
    async close() {
      redis?.disconnect();
      await db.close();
    },
  };
}

/** Runs the command against DATABASE_URL (and REDIS_URL/REDIS_KEY_PREFIX when set); returns the exit code. */
export async function issuerRevoke(argv: readonly string[], env: Environment, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const command = parseRevokeArgs(argv);
  if (command === undefined) {
    err(USAGE);
    return 2;
  }
  let store: IssuerKeyStore | undefined;
  try {
    store = openIssuerKeyStore(env);
  } catch (e) {
    err(`issuer:revoke: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  if (store === undefined) {
    err("issuer:revoke: DATABASE_URL is required (the service's Postgres; the embedded PGlite belongs to its one process)");
    return 2;
  }
  try {
    if (command.kind === "list") {
      const keys = await store.repository.list();
      if (keys.length === 0) out("no issuer keys recorded");
      for (const k of keys) out(describeKey(k));
      return 0;
    }
    const bus = await store.bus();
    const outcome = await revokeIssuerKey({ repository: store.repository, bus }, command.kid, command.force);
    if (!outcome.ok) {
      err(`issuer:revoke: ${outcome.problem}`);
      return 1;
    }
    out(`revoked issuer key ${outcome.kid} (was ${outcome.previousStatus}); it is no longer published or trusted`);
    out(
      outcome.published
        ? "announced on the invalidation bus: every replica reloads its key set and flushes its caches now"
        : "REDIS_URL is not set: no replica was told; restart every replica so they reload the key set",
    );
    return 0;
  } catch (e) {
    err(`issuer:revoke: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const env = withDotEnv(process.env, readDotEnv(join(projectRoot(), ".env")));
  process.exitCode = await issuerRevoke(
    process.argv.slice(2),
    env,
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
