/** `npm run bench` settings: BENCH_* variables and the command line (`--json FILE`, `--short`, `--scale`). */

export interface BenchSettings {
  /** Each timed phase's length. */
  readonly phaseSeconds: number;
  /** Most calls of one closed-loop phase (proofs are signed for this many before the phase). */
  readonly maxCalls: number;
  /** Closed-loop concurrencies (calls in flight). */
  readonly concurrencies: readonly number[];
  /** Open-loop offered rates (Verify calls per second). */
  readonly rates: readonly number[];
  /** HTTP/2 connections the load generator spreads calls over (a gateway's pool). */
  readonly connections: number;
  /** VerifyStream messages in flight per stream (one stream per connection); 0 skips the phase. */
  readonly streamInFlight: number;
  readonly warmupSeconds: number;
  /** "build": the production build in its own process; "source": the sources through tsx (quick checks). */
  readonly server: "build" | "source";
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  /** Crypto-floor measurement per algorithm, ms. */
  readonly cryptoMs: number;
  /** BENCH_CPU_PROFILE_DIR: the service runs with node --cpu-prof and writes its profile here at exit. */
  readonly cpuProfileDir: string | undefined;
  /**
   * BENCH_BASELINE_MAIN: another build's dist/src/main.js (e.g. the previous release) run beside the service
   * (same storage settings, its own database) and measured right after it in every service phase.
   */
  readonly baselineMain: string | undefined;
  /**
   * BENCH_SERVING_OPTIONS (0/1): also measure the other serving options on the same handlers: Connect-node serving
   * gRPC over HTTP/2 (a second service process with GRPC_FAST_PATH=false) and the Connect protocol over HTTP/1.1
   * keep-alive (the service's own mTLS port).
   */
  readonly servingOptions: boolean;
  /** Where the JSON report goes (--json FILE). */
  readonly jsonFile: string | undefined;
  /** --scale: also measure 1, 2 and N workers and two replicas (src/cli/bench/scaling.ts). */
  readonly scale: boolean;
  /**
   * BENCH_FLOOR (0/1): also call the Verify handler in-process at each concurrency, on storage of its own, and time one
   * Redis and one Postgres round trip (floor-child.ts): what serving adds is the difference.
   */
  readonly floor: boolean;
  /** Verify calls of the in-process floor per concurrency (BENCH_FLOOR_CALLS); round trips timed per storage client. */
  readonly floorCalls: number;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name]?.trim();
  if (v === undefined || v === "") return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`${name} must be a whole number ${min}..${max}`);
  return Number(v);
}

function integers(env: NodeJS.ProcessEnv, name: string, fallback: readonly number[], min: number, max: number): readonly number[] {
  const v = env[name]?.trim();
  if (v === undefined || v === "") return fallback;
  const parts = v.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < min || Number(p) > max)) {
    throw new Error(`${name} must be a comma-separated list of whole numbers ${min}..${max}`);
  }
  return parts.map(Number);
}

const FULL = {
  phaseSeconds: 5,
  maxCalls: 20_000,
  concurrencies: [1, 16, 64],
  rates: [200, 500, 800],
  connections: 4,
  streamInFlight: 64,
  warmupSeconds: 3,
  server: "build",
  cryptoMs: 1000,
  servingOptions: true,
  floorCalls: 4000,
} as const;

/** The short form (`--short`): a few calls per phase, for the CI smoke test and a quick look; BENCH_* still win. */
const SHORT = {
  phaseSeconds: 2,
  maxCalls: 40,
  concurrencies: [1, 4],
  rates: [50],
  connections: 1,
  streamInFlight: 4,
  warmupSeconds: 0,
  server: "source",
  cryptoMs: 100,
  servingOptions: false,
  floorCalls: 20,
} as const;

export function readBenchSettings(env: NodeJS.ProcessEnv, argv: readonly string[] = []): BenchSettings {
  const d = argv.includes("--short") ? SHORT : FULL;
  const opt = (name: string): string | undefined => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const jsonAt = argv.indexOf("--json");
  if (jsonAt >= 0 && (argv[jsonAt + 1] === undefined || argv[jsonAt + 1]!.startsWith("--"))) throw new Error("--json needs a file name");
  const server = opt("BENCH_SERVER") ?? d.server;
  if (server !== "build" && server !== "source") throw new Error("BENCH_SERVER must be build or source");
  return {
    phaseSeconds: integer(env, "BENCH_PHASE_SECONDS", d.phaseSeconds, 1, 600),
    maxCalls: integer(env, "BENCH_MAX_CALLS", d.maxCalls, 1, 1_000_000),
    concurrencies: integers(env, "BENCH_CONCURRENCY", d.concurrencies, 1, 1024),
    rates: integers(env, "BENCH_RATES", d.rates, 1, 100_000),
    connections: integer(env, "BENCH_CONNECTIONS", d.connections, 1, 64),
    streamInFlight: integer(env, "BENCH_STREAM_IN_FLIGHT", d.streamInFlight, 0, 1024),
    warmupSeconds: integer(env, "BENCH_WARMUP_SECONDS", d.warmupSeconds, 0, 600),
    server,
    databaseUrl: opt("BENCH_DATABASE_URL"),
    redisUrl: opt("BENCH_REDIS_URL"),
    cpuProfileDir: opt("BENCH_CPU_PROFILE_DIR"),
    baselineMain: opt("BENCH_BASELINE_MAIN"),
    servingOptions: integer(env, "BENCH_SERVING_OPTIONS", d.servingOptions ? 1 : 0, 0, 1) === 1,
    cryptoMs: d.cryptoMs,
    jsonFile: jsonAt >= 0 ? argv[jsonAt + 1] : undefined,
    scale: argv.includes("--scale"),
    floor: integer(env, "BENCH_FLOOR", 1, 0, 1) === 1,
    floorCalls: integer(env, "BENCH_FLOOR_CALLS", d.floorCalls, 1, 1_000_000),
  };
}
