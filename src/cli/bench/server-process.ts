/**
 * The benchmarked service in its own process: the production build (`node dist/src/main.js`, built first when
 * stale) or the sources through tsx, on loopback ports, with throw-away development material, a throw-away
 * Postgres database and Redis key prefix when configured (embedded PGlite and in-memory stores otherwise).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { deleteKeysWithPrefix } from "../../adapters/redis/keyspace.js";
import { projectRoot } from "../../config/project-root.js";

export interface ServerProcessOptions {
  /** "build": dist/src/main.js (npm run build when stale); "source": src/main.ts through tsx (quick runs). */
  readonly server: "build" | "source";
  readonly devDir: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  /** ISSUER_URL (audience of possession proofs). */
  readonly issuerUrl: string;
  /** Run this built main.js instead (a baseline build measured beside the service). */
  readonly main?: string;
  /** Extra environment of the service (e.g. GRPC_FAST_PATH=false for the Connect-only serving option). */
  readonly env?: Readonly<Record<string, string>>;
  /** Write a V8 CPU profile of the service (node --cpu-prof) into this directory at exit. */
  readonly cpuProfileDir?: string;
  /** WORKERS (unset: the development default, 1). */
  readonly workers?: number;
  /** A second replica: use this running server's database and Redis key prefix (it owns and cleans them). */
  readonly replicaOf?: ServerProcess;
}

export interface ServerProcess {
  readonly pid: number;
  readonly grpcPort: number;
  readonly sidecarPort: number;
  /** bench_<random> on real Postgres (its backends are found by this name), undefined on PGlite. */
  readonly databaseName: string | undefined;
  readonly redisPrefix: string;
  readonly storage: string;
  stop(): Promise<void>;
}

/** Limits far above what the bench sends, so it measures the work and not the refusals. */
const UNLIMITED_PER_MINUTE = "1000000";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/src/main.js is missing or older than src/ or gen/. */
export function ensureBuild(root: string, log: (line: string) => void): string {
  const main = join(root, "dist", "src", "main.js");
  const sources = Math.max(newestMtime(join(root, "src")), newestMtime(join(root, "gen")));
  if (existsSync(main) && statSync(main).mtimeMs >= sources) return main;
  log("bench: npm run build (dist/ is missing or stale)");
  const build = spawnSync("npm", ["run", "-s", "build"], { cwd: root, encoding: "utf8", timeout: 600_000 });
  if (build.status !== 0 || !existsSync(main)) throw new Error(`npm run build failed (exit ${build.status}):\n${build.stdout}${build.stderr}`);
  return main;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function waitReady(sidecarPort: number, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready:\n${output()}`);
    const ok = await fetch(`http://127.0.0.1:${sidecarPort}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the service was not ready within 120 s:\n${output()}`);
}

/** The service's environment: development material, loopback ports, its own storage, limits far above the load. */
export function serverEnv(options: ServerProcessOptions, ports: number[], databaseUrl: string | undefined, redisPrefix: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    APP_ENV: "development",
    DEV_DIR: options.devDir,
    HOST: "127.0.0.1",
    GRPC_PORT: String(ports[0]),
    BROWSER_PORT: String(ports[1]),
    SIDECAR_PORT: String(ports[2]),
    LOG_LEVEL: "warn",
    PGLITE_DATA_DIR: "memory://",
    RATE_LIMIT_PER_MINUTE: UNLIMITED_PER_MINUTE,
    AGENT_RATE_LIMIT_PER_MINUTE: UNLIMITED_PER_MINUTE,
    API_RATE_LIMIT_PER_MINUTE: UNLIMITED_PER_MINUTE,
    AUDIT_CHECKPOINT_INTERVAL_SECONDS: "3600",
    ISSUER_URL: options.issuerUrl,
    ...(options.workers !== undefined ? { WORKERS: String(options.workers) } : {}),
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
    ...(options.redisUrl !== undefined ? { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: redisPrefix } : {}),
    ...options.env,
  };
}

/** A process's own bench storage: a new database on the Postgres server and a Redis key prefix, and how to remove both. */
export interface ThrowawayStorage {
  /** bench_<random>, undefined without Postgres. */
  readonly databaseName: string | undefined;
  /** The server URL with the database replaced by databaseName. */
  readonly databaseUrl: string | undefined;
  readonly redisPrefix: string;
  cleanup(): Promise<void>;
}

/** Creates the storage of one bench process; `shared` (a replica) reuses a running process's, which it owns and cleans. */
export async function throwawayStorage(serverUrl: string | undefined, redisUrl: string | undefined, shared?: ServerProcess): Promise<ThrowawayStorage> {
  const suffix = randomBytes(6).toString("hex");
  const redisPrefix = shared?.redisPrefix ?? `bench:${suffix}:`;
  const databaseName = serverUrl === undefined ? undefined : (shared?.databaseName ?? `bench_${suffix}`);
  let databaseUrl: string | undefined;
  if (serverUrl !== undefined) {
    if (shared === undefined) await adminQuery(serverUrl, `CREATE DATABASE ${databaseName}`);
    const own = new URL(serverUrl);
    own.pathname = `/${databaseName}`;
    databaseUrl = own.toString();
  }
  const cleanup = async (): Promise<void> => {
    if (shared !== undefined) return;
    if (redisUrl !== undefined) await deleteKeysWithPrefix(redisUrl, redisPrefix);
    if (serverUrl !== undefined) await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  };
  return { databaseName, databaseUrl, redisPrefix, cleanup };
}

/** Starts the service and resolves once /readyz answers 200. */
export async function startServerProcess(options: ServerProcessOptions, log: (line: string) => void): Promise<ServerProcess> {
  const root = projectRoot();
  const profile = options.cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`];
  const entry = [...profile, ...(options.main !== undefined ? [options.main] : options.server === "build" ? [ensureBuild(root, log)] : ["--import", "tsx", join(root, "src", "main.ts")])];
  const { databaseName, databaseUrl, redisPrefix, cleanup } = await throwawayStorage(options.databaseUrl, options.redisUrl, options.replicaOf);
  const ports = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, entry, { cwd: root, env: serverEnv(options, ports, databaseUrl, redisPrefix), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (b: Buffer): void => void (output = (output + b.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await cleanup();
  };
  try {
    await waitReady(ports[2]!, child, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pid: child.pid!,
    grpcPort: ports[0]!,
    sidecarPort: ports[2]!,
    databaseName,
    redisPrefix,
    storage: `${options.databaseUrl !== undefined ? "postgres" : "pglite (memory)"} + ${options.redisUrl !== undefined ? "redis" : "in-memory stores"}`,
    stop,
  };
}
