/**
 * `npm run bench -- --scale`: Verify through one replica with 1, 2 and N workers (N = the usable CPUs) and through
 * two replicas sharing Postgres and Redis; verifies/s and the CPU of every server process per Verify.
 */
import { readdirSync, readFileSync } from "node:fs";
import { usableCpus } from "../../config/cpu-quota.js";
import type { DevMaterial } from "../../config/dev-material.js";
import { startLoadGenerator, type LoadGeneratorChild } from "./children.js";
import { pidsMatching, ProcessSetCpu } from "./proc.js";
import type { PhaseOutcome, PhaseSpec } from "./protocol.js";
import { scalingRatios, type ScalingPoint, type ScalingReport } from "./scaling-report.js";
import { startServerProcess, type ServerProcess } from "./server-process.js";
import { BENCH_OPERATION, BENCH_SCOPE, registerBenchAgent } from "./service.js";
import type { BenchSettings } from "./settings.js";

/** Two load generators in every layout (the same client side throughout): both on one replica, or one each. */
const LOAD_GENERATORS = 2;
/** Proofs signed per generator and phase second: above what this service completes, so the clock ends a phase. */
const PROOFS_PER_SECOND = 3_000;

export interface Layout {
  readonly name: string;
  readonly replicas: number;
  readonly workers: number;
}

/** 1, 2 and N workers (each once), then two replicas of one worker each. */
export function scalingLayouts(n: number): Layout[] {
  const counts = [...new Set([1, 2, n])].sort((a, b) => a - b);
  return [...counts.map((w) => ({ name: w === 1 ? "1 worker" : `${w} workers`, replicas: 1, workers: w })), { name: "2 replicas", replicas: 2, workers: 1 }];
}

export interface ScalingOptions {
  readonly settings: BenchSettings;
  readonly material: DevMaterial;
  readonly issuerUrl: string;
  readonly log: (line: string) => void;
}

/** The children of `pid` (a cluster primary's workers), from /proc. */
function childPidsOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** The local redis-server serving `url` (found by its port: tests may run other redis-servers here), or none. */
function localRedis(url: string): ProcessSetCpu | undefined {
  const { hostname, port } = new URL(url);
  if (hostname !== "127.0.0.1" && hostname !== "localhost" && hostname !== "[::1]") return undefined;
  return new ProcessSetCpu(() => pidsMatching("redis-server", `:${port === "" ? "6379" : port}`));
}

export async function runScaling(o: ScalingOptions): Promise<ScalingReport> {
  const s = o.settings;
  if (s.databaseUrl === undefined || s.redisUrl === undefined) {
    throw new Error("--scale needs BENCH_DATABASE_URL and BENCH_REDIS_URL (several workers or replicas share them)");
  }
  const n = usableCpus();
  const concurrency = Math.max(32, ...s.concurrencies);
  const connections = Math.max(s.connections, 2 * n);
  const points: ScalingPoint[] = [];
  for (const layout of scalingLayouts(n)) {
    o.log(`bench: scale ${layout.name}`);
    points.push(await measureLayout(o, layout, concurrency, connections));
  }
  const base = points[0]!;
  return {
    usableCpus: n,
    concurrency,
    connections: connections * LOAD_GENERATORS,
    phaseSeconds: s.phaseSeconds,
    points,
    ratios: scalingRatios(points),
    verifiesPerServerCoreSecond: 1000 / base.serverCpuMsPerVerify,
  };
}

async function startLayout(o: ScalingOptions, layout: Layout): Promise<ServerProcess[]> {
  const s = o.settings;
  const options = { server: s.server, devDir: o.material.dir, databaseUrl: s.databaseUrl, redisUrl: s.redisUrl, issuerUrl: o.issuerUrl, workers: layout.workers };
  const first = await startServerProcess(options, o.log);
  const servers = [first];
  try {
    for (let i = 1; i < layout.replicas; i++) servers.push(await startServerProcess({ ...options, replicaOf: first }, o.log));
  } catch (e) {
    await stopServers(servers);
    throw e;
  }
  return servers;
}

/** The replicas first: the first server owns the database and key prefix and drops them. */
async function stopServers(servers: readonly ServerProcess[]): Promise<void> {
  await Promise.allSettled(servers.slice(1).map((sv) => sv.stop()));
  await servers[0]?.stop();
}

async function measureLayout(o: ScalingOptions, layout: Layout, concurrency: number, connections: number): Promise<ScalingPoint> {
  const servers = await startLayout(o, layout);
  const loads: LoadGeneratorChild[] = [];
  try {
    const agent = await registerBenchAgent(o.material, servers[0]!.grpcPort, o.issuerUrl);
    const origins = servers.map((sv) => `https://127.0.0.1:${sv.grpcPort}`);
    const target = { ...agent, scope: BENCH_SCOPE, operation: BENCH_OPERATION };
    const rp = o.material.clients.relyingParty;
    const init = { caFile: o.material.caCertFile, certFile: rp.certFile, keyFile: rp.keyFile, connections, verifyBy: Object.fromEntries(origins.map((x) => [x, target])) };
    for (let i = 0; i < LOAD_GENERATORS; i++) loads.push(await startLoadGenerator(init));
    const perGenerator = Math.ceil(concurrency / LOAD_GENERATORS);
    const spec = (i: number, durationMs: number, maxCalls: number): Omit<PhaseSpec, "type" | "id"> => ({
      name: `scale:${layout.name}`,
      rpc: "verify",
      origin: origins[i % origins.length]!,
      mode: "closed",
      concurrency: perGenerator,
      ratePerSecond: 0,
      durationMs,
      maxCalls,
    });
    // Warm-up: the connections open (node:cluster hands them to the workers in turn) and the code paths get hot.
    await Promise.all(loads.map((l, i) => l.run(spec(i, 1_000, 500))));
    const seconds = o.settings.phaseSeconds;
    const serverCpu = new ProcessSetCpu(() => servers.flatMap((sv) => [sv.pid, ...childPidsOf(sv.pid)]));
    const dbName = servers[0]!.databaseName;
    const postgres = dbName === undefined ? undefined : new ProcessSetCpu(() => pidsMatching("postgres:", dbName));
    const redis = localRedis(o.settings.redisUrl!);
    const outcomes = await Promise.all(loads.map((l, i) => l.run(spec(i, seconds * 1000, seconds * PROOFS_PER_SECOND))));
    return pointOf(layout, outcomes, serverCpu.stop(), postgres?.stop(), redis?.stop());
  } finally {
    await Promise.allSettled(loads.map((l) => l.stop()));
    await stopServers(servers);
  }
}

function pointOf(layout: Layout, outcomes: readonly PhaseOutcome[], serverCpuMs: number, postgresCpuMs: number | undefined, redisCpuMs: number | undefined): ScalingPoint {
  const calls = outcomes.reduce((n, x) => n + x.result.calls, 0);
  const errors = outcomes.reduce((n, x) => n + x.result.errors, 0);
  const ok = Math.max(1, calls - errors);
  const wallMs = Math.max(...outcomes.map((x) => x.result.wallMs));
  return {
    name: layout.name,
    replicas: layout.replicas,
    workersPerReplica: layout.workers,
    calls,
    errors,
    verifiesPerSecond: (ok * 1000) / wallMs,
    serverCpuMsPerVerify: serverCpuMs / ok,
    postgresCpuMsPerVerify: postgresCpuMs === undefined ? undefined : postgresCpuMs / ok,
    redisCpuMsPerVerify: redisCpuMs === undefined ? undefined : redisCpuMs / ok,
    loadCpuMsPerVerify: outcomes.reduce((n, x) => n + x.loadCpuMs, 0) / ok,
    // The slower generator's percentiles (both see the same server).
    p50Ms: Math.max(...outcomes.map((x) => x.result.p50Ms)),
    p99Ms: Math.max(...outcomes.map((x) => x.result.p99Ms)),
  };
}
