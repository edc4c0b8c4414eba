/**
 * `npm run bench`: the service (production build) in its own process, a raw HTTP/2 load generator in another,
 * reference servers in a third; Verify and health Check at each concurrency (and on the other serving options:
 * Connect over HTTP/1.1, Connect-node serving gRPC), open-loop Verify at fixed rates, VerifyStream, the
 * references, the crypto floor; CPU per call from /proc; with `--scale` also 1, 2 and N workers and two replicas.
 * Prints a table; `--json FILE` writes the report. Bounded in count and time, loopback only.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { prepareDevelopmentMaterial, type DevMaterial } from "../config/dev-material.js";
import { projectRoot } from "../config/project-root.js";
import { runFloorChild, startLoadGenerator, startReferenceServers, type LoadGeneratorChild, type ReferenceChild } from "./bench/children.js";
import { measureCryptoFloor } from "./bench/crypto-floor.js";
import { cpuMsOf, cpuMsOfAll, loadAverage, peakRssMiB, pidsMatching, ProcessSetCpu } from "./bench/proc.js";
import type { PhaseSpec, VerifyTarget } from "./bench/protocol.js";
import { formatBench, ratiosOf, type BenchReport, type PhaseReport } from "./bench/report.js";
import { runScaling } from "./bench/scaling.js";
import { formatScaling } from "./bench/scaling-report.js";
import type { FloorReport } from "./bench/floor-protocol.js";
import { ensureBuild, startServerProcess, throwawayStorage, type ServerProcess } from "./bench/server-process.js";
import { BENCH_OPERATION, BENCH_SCOPE, registerBenchAgent } from "./bench/service.js";
import { readBenchSettings, type BenchSettings } from "./bench/settings.js";

export { readBenchSettings, type BenchSettings } from "./bench/settings.js";
export { formatBench, type BenchReport } from "./bench/report.js";

const ISSUER_URL = "https://agent-identity.local";

type Plan = Omit<PhaseSpec, "type" | "id" | "origin"> & { readonly target: PhaseReport["target"] };

/** The phases in the order they run (references right after the service at the same concurrency). */
export function benchPlan(s: BenchSettings): Plan[] {
  const ms = s.phaseSeconds * 1000;
  const closed = (target: Plan["target"], rpc: Plan["rpc"], c: number): Plan => ({
    target,
    rpc,
    name: `${target}:${rpc}@C${c}`,
    mode: "closed",
    concurrency: c,
    ratePerSecond: 0,
    durationMs: ms,
    maxCalls: s.maxCalls,
  });
  const plan: Plan[] = [];
  for (const c of s.concurrencies) {
    plan.push(closed("service", "check", c), closed("service", "verify", c));
    if (s.servingOptions) {
      plan.push(closed("service", "check-connect-h1", c), closed("service", "verify-connect-h1", c));
      plan.push(closed("connect-h2", "check", c), closed("connect-h2", "verify", c));
    }
    plan.push(closed("grpc-js", "check", c), closed("http1", "http1-null", c));
  }
  for (const rate of s.rates) {
    plan.push({ target: "service", rpc: "verify", name: `service:verify@${rate}/s`, mode: "open", concurrency: 0, ratePerSecond: rate, durationMs: ms, maxCalls: 0 });
  }
  if (s.streamInFlight > 0) plan.push({ ...closed("service", "verify-stream", s.streamInFlight), name: `service:verify-stream@${s.streamInFlight}` });
  if (s.baselineMain === undefined) return plan;
  // The baseline build runs each unary service phase right after the service, under the same conditions (an
  // older build may not serve VerifyStream).
  const again = (p: Plan): Plan[] => [p, { ...p, target: "baseline", name: p.name.replace("service:", "baseline:") }];
  return plan.flatMap((p) => (p.target === "service" && p.rpc !== "verify-stream" ? again(p) : [p]));
}

interface Running {
  readonly server: ServerProcess;
  readonly baseline: ServerProcess | undefined;
  /** The Connect-only serving option (GRPC_FAST_PATH=false), with BENCH_SERVING_OPTIONS. */
  readonly connect: ServerProcess | undefined;
  readonly load: LoadGeneratorChild;
  readonly refs: ReferenceChild;
}

async function measurePhase(run: Running, plan: Plan, redisPids: readonly number[]): Promise<PhaseReport> {
  const { load, refs } = run;
  const server = plan.target === "baseline" ? run.baseline! : plan.target === "connect-h2" ? run.connect! : run.server;
  const local = plan.target === "service" || plan.target === "baseline" || plan.target === "connect-h2";
  const serverPid = local ? server.pid : refs.pid;
  const port = local ? server.grpcPort : plan.target === "grpc-js" ? refs.grpcJsPort : refs.http1Port;
  const dbName = server.databaseName;
  const postgres = local && dbName !== undefined ? new ProcessSetCpu(() => pidsMatching("postgres:", dbName)) : undefined;
  const before = { server: cpuMsOf(serverPid) ?? 0, redis: cpuMsOfAll(redisPids) };
  const { target, ...spec } = plan;
  const outcome = await load.run({ ...spec, origin: `https://127.0.0.1:${port}` });
  const postgresCpuMs = postgres?.stop();
  const ok = Math.max(1, outcome.result.calls - outcome.result.errors);
  return {
    target,
    rpc: plan.rpc,
    mode: plan.mode,
    concurrency: plan.concurrency,
    ratePerSecond: plan.ratePerSecond,
    result: outcome.result,
    serverCpuMsPerCall: ((cpuMsOf(serverPid) ?? 0) - before.server) / ok,
    postgresCpuMsPerCall: postgresCpuMs === undefined ? undefined : postgresCpuMs / ok,
    redisCpuMsPerCall: local && redisPids.length > 0 ? (cpuMsOfAll(redisPids) - before.redis) / ok : undefined,
    loadCpuMsPerCall: outcome.loadCpuMs / Math.max(1, outcome.result.calls),
  };
}

function isLocal(url: string | undefined): boolean {
  if (url === undefined) return false;
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}

async function runPhases(s: BenchSettings, run: Running, log: (line: string) => void): Promise<PhaseReport[]> {
  const redisPids = isLocal(s.redisUrl) ? pidsMatching("redis-server") : [];
  if (s.warmupSeconds > 0) {
    log(`bench: warm-up ${s.warmupSeconds} s`);
    for (const p of [run.server, run.baseline, run.connect]) {
      if (p === undefined) continue;
      const warm = { mode: "closed" as const, concurrency: 16, ratePerSecond: 0, durationMs: s.warmupSeconds * 1000, maxCalls: s.maxCalls };
      const origin = `https://127.0.0.1:${p.grpcPort}`;
      await run.load.run({ ...warm, origin, name: "warmup", rpc: "check" });
      await run.load.run({ ...warm, origin, name: "warmup", rpc: "verify" });
    }
  }
  const phases: PhaseReport[] = [];
  for (const plan of benchPlan(s)) {
    log(`bench: ${plan.name}`);
    phases.push(await measurePhase(run, plan, redisPids));
  }
  return phases;
}

async function startAll(s: BenchSettings, material: DevMaterial, log: (line: string) => void): Promise<Running> {
  const options = { server: s.server, devDir: material.dir, databaseUrl: s.databaseUrl, redisUrl: s.redisUrl, issuerUrl: ISSUER_URL };
  const server = await startServerProcess({ ...options, cpuProfileDir: s.cpuProfileDir }, log);
  let baseline: ServerProcess | undefined;
  let connect: ServerProcess | undefined;
  try {
    if (s.baselineMain !== undefined) baseline = await startServerProcess({ ...options, main: s.baselineMain }, log);
    if (s.servingOptions) connect = await startServerProcess({ ...options, env: { GRPC_FAST_PATH: "false" } }, log);
    const verifyBy: Record<string, VerifyTarget> = {};
    for (const p of [server, baseline, connect]) {
      if (p === undefined) continue;
      const agent = await registerBenchAgent(material, p.grpcPort, ISSUER_URL);
      verifyBy[`https://127.0.0.1:${p.grpcPort}`] = { ...agent, scope: BENCH_SCOPE, operation: BENCH_OPERATION };
    }
    const rp = material.clients.relyingParty;
    const load = await startLoadGenerator({ caFile: material.caCertFile, certFile: rp.certFile, keyFile: rp.keyFile, connections: s.connections, verifyBy });
    const refs = await startReferenceServers(material.caCertFile, material.serverCertFile, material.serverKeyFile);
    return { server, baseline, connect, load, refs };
  } catch (e) {
    await Promise.allSettled([server.stop(), baseline?.stop(), connect?.stop()]);
    throw e;
  }
}

/** The in-process Verify and the storage round trips, in the floor child, on storage of its own (removed after). */
async function measureFloor(s: BenchSettings, material: DevMaterial, log: (line: string) => void): Promise<FloorReport> {
  log("bench: in-process Verify and storage round trips");
  const storage = await throwawayStorage(s.databaseUrl, s.redisUrl);
  try {
    const built = s.server === "build" ? join(dirname(ensureBuild(projectRoot(), log)), "cli", "bench", "floor-child.js") : undefined;
    const init = { devDir: material.dir, issuerUrl: ISSUER_URL, databaseUrl: storage.databaseUrl, redisUrl: s.redisUrl, redisPrefix: storage.redisPrefix };
    return await runFloorChild({ ...init, concurrencies: s.concurrencies, calls: s.floorCalls, roundTrips: Math.max(20, s.floorCalls / 2) }, built);
  } finally {
    await storage.cleanup();
  }
}

export async function runBench(s: BenchSettings, log: (line: string) => void): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const before = loadAverage();
  const root = mkdtempSync(join(tmpdir(), "aid-bench-"));
  try {
    const material = await prepareDevelopmentMaterial(join(root, "dev"), () => undefined);
    const run = await startAll(s, material, log);
    let phases: PhaseReport[];
    let peak: number | undefined;
    try {
      phases = await runPhases(s, run, log);
      peak = peakRssMiB(run.server.pid);
    } finally {
      await Promise.allSettled([run.load.stop(), run.refs.stop()]);
      await Promise.allSettled([run.server.stop(), run.baseline?.stop(), run.connect?.stop()]);
    }
    const scaling = s.scale ? await runScaling({ settings: s, material, issuerUrl: ISSUER_URL, log }) : undefined;
    const floor = s.floor ? await measureFloor(s, material, log) : undefined;
    log("bench: crypto floor");
    const cryptoFloor = measureCryptoFloor(s.cryptoMs);
    return {
      startedAt,
      storage: run.server.storage,
      server: s.server,
      connections: s.connections,
      cpus: availableParallelism(),
      loadAverage: { before, after: loadAverage() },
      phases,
      peakRssMiB: peak,
      cryptoFloor,
      ratios: ratiosOf(phases, cryptoFloor, s.concurrencies, floor),
      ...(floor !== undefined ? { floor } : {}),
      ...(scaling !== undefined ? { scaling } : {}),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let settings: BenchSettings;
  try {
    settings = readBenchSettings(process.env, process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runBench(settings, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatBench(report)}\n`);
  if (report.scaling !== undefined) process.stdout.write(`${formatScaling(report.scaling)}\n`);
  if (settings.jsonFile !== undefined) writeFileSync(settings.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  const failed = report.phases.filter((p) => p.result.errors > 0);
  const scaleErrors = report.scaling?.points.filter((p) => p.errors > 0) ?? [];
  if (scaleErrors.length > 0) {
    process.stderr.write(`bench: errors in scaling layouts ${scaleErrors.map((p) => `${p.name} (${p.errors})`).join(", ")}\n`);
    process.exitCode = 1;
  }
  if (failed.length > 0) {
    process.stderr.write(`bench: errors in ${failed.map((p) => `${p.result.name} (${p.result.errors}: ${p.result.firstError})`).join(", ")}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
