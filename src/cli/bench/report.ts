/** The bench report: per-phase figures with CPU per call, the crypto floor, ratios, and the printed table. */
import type { CryptoFloor } from "./crypto-floor.js";
import type { FloorReport } from "./floor-protocol.js";
import type { PhaseResult } from "./measure.js";
import type { PhaseRpc } from "./protocol.js";
import type { ScalingReport } from "./scaling-report.js";

export interface PhaseReport {
  /**
   * baseline: another build of the service (BENCH_BASELINE_MAIN), measured in the same run; connect-h2: the service
   * with GRPC_FAST_PATH=false (Connect-node serving every gRPC call), a serving option measured beside it.
   */
  readonly target: "service" | "baseline" | "connect-h2" | "grpc-js" | "http1";
  readonly rpc: PhaseRpc;
  readonly mode: "closed" | "open";
  readonly concurrency: number;
  readonly ratePerSecond: number;
  readonly result: PhaseResult;
  /** CPU ms per successful call of the server measured (the service, or the reference process). */
  readonly serverCpuMsPerCall: number;
  /** The bench database's Postgres backends, when Postgres runs on this machine. */
  readonly postgresCpuMsPerCall: number | undefined;
  /** The local redis-server process (shared with anything else using it). */
  readonly redisCpuMsPerCall: number | undefined;
  readonly loadCpuMsPerCall: number;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly storage: string;
  readonly server: "build" | "source";
  readonly connections: number;
  readonly cpus: number;
  readonly loadAverage: { readonly before: number | undefined; readonly after: number | undefined };
  readonly phases: readonly PhaseReport[];
  readonly peakRssMiB: number | undefined;
  readonly cryptoFloor: CryptoFloor;
  readonly ratios: Readonly<Record<string, number>>;
  /** The Verify handler in-process (no serving stack) and the storage round trips (BENCH_FLOOR). */
  readonly floor?: FloorReport;
  /** --scale: workers and replicas, as ratios to one worker. */
  readonly scaling?: ScalingReport;
}

function find(phases: readonly PhaseReport[], target: PhaseReport["target"], rpc: PhaseRpc, c: number): PhaseReport | undefined {
  return phases.find((p) => p.target === target && p.rpc === rpc && p.mode === "closed" && p.concurrency === c);
}

/**
 * verify / null RPC, null RPC / each reference (throughput), server CPU per verify / crypto floor and / the in-process
 * Verify (when measured), per concurrency.
 */
export function ratiosOf(phases: readonly PhaseReport[], floor: CryptoFloor, concurrencies: readonly number[], inProcess?: FloorReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of concurrencies) {
    const verify = find(phases, "service", "verify", c);
    const check = find(phases, "service", "check", c);
    const grpcJs = find(phases, "grpc-js", "check", c);
    const http1 = find(phases, "http1", "http1-null", c);
    if (verify && check) out[`verify/null_rpc@C${c}`] = verify.result.opsPerSecond / check.result.opsPerSecond;
    if (check && grpcJs) out[`null_rpc/grpc-js@C${c}`] = check.result.opsPerSecond / grpcJs.result.opsPerSecond;
    if (check && http1) out[`null_rpc/http1@C${c}`] = check.result.opsPerSecond / http1.result.opsPerSecond;
    if (verify) out[`server_cpu_per_verify/crypto_floor@C${c}`] = verify.serverCpuMsPerCall / (floor.es256Us / 1000);
    const direct = inProcess?.verify.find((v) => v.concurrency === c);
    if (verify && direct) out[`server_cpu_per_verify/in_process_verify@C${c}`] = verify.serverCpuMsPerCall / direct.cpuMsPerVerify;
    Object.assign(out, servingRatios(phases, c));
    const base = find(phases, "baseline", "verify", c);
    if (verify && base) {
      out[`verify_ops/baseline@C${c}`] = verify.result.opsPerSecond / base.result.opsPerSecond;
      out[`server_cpu_per_verify/baseline@C${c}`] = verify.serverCpuMsPerCall / base.serverCpuMsPerCall;
    }
  }
  const stream = phases.find((p) => p.rpc === "verify-stream");
  if (stream) out["server_cpu_per_streamed_verify/crypto_floor"] = stream.serverCpuMsPerCall / (floor.es256Us / 1000);
  return out;
}

/**
 * The serving options on the same handlers at concurrency c: verify / null RPC throughput of each, and the server CPU
 * per call of the gRPC fast path (the service's default) relative to each other option and to the grpc-js reference.
 */
function servingRatios(phases: readonly PhaseReport[], c: number): Record<string, number> {
  const out: Record<string, number> = {};
  const options = {
    "grpc-fast-path": [find(phases, "service", "verify", c), find(phases, "service", "check", c)],
    "connect-h2": [find(phases, "connect-h2", "verify", c), find(phases, "connect-h2", "check", c)],
    "connect-h1": [find(phases, "service", "verify-connect-h1", c), find(phases, "service", "check-connect-h1", c)],
  } as const;
  const [fastVerify, fastCheck] = options["grpc-fast-path"];
  for (const [name, [verify, check]] of Object.entries(options)) {
    if (verify === undefined || check === undefined || name === "grpc-fast-path") continue;
    out[`verify/null_rpc[${name}]@C${c}`] = verify.result.opsPerSecond / check.result.opsPerSecond;
    if (fastVerify) out[`server_cpu_per_verify[grpc-fast-path/${name}]@C${c}`] = fastVerify.serverCpuMsPerCall / verify.serverCpuMsPerCall;
    if (fastCheck) out[`server_cpu_per_null_rpc[grpc-fast-path/${name}]@C${c}`] = fastCheck.serverCpuMsPerCall / check.serverCpuMsPerCall;
  }
  const grpcJs = find(phases, "grpc-js", "check", c);
  if (fastCheck && grpcJs) out[`server_cpu_per_null_rpc[grpc-fast-path/grpc-js reference]@C${c}`] = fastCheck.serverCpuMsPerCall / grpcJs.serverCpuMsPerCall;
  return out;
}

const f = (x: number | undefined, d: number, w = 8): string => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d)).padStart(w);

function phaseLabel(p: PhaseReport): string {
  const load = p.mode === "open" ? `${p.ratePerSecond}/s` : p.rpc === "verify-stream" ? `${p.concurrency}/stream` : `C=${p.concurrency}`;
  return `${p.target.padEnd(10)} ${p.rpc.padEnd(17)} ${load.padStart(9)}`;
}

export function formatBench(r: BenchReport): string {
  const header = `${"target".padEnd(10)} ${"rpc".padEnd(17)} ${"load".padStart(9)} ${"calls".padStart(7)} ${"errors".padStart(6)} ${"ops/s".padStart(8)} ${"p50".padStart(8)} ${"p90".padStart(8)} ${"p99".padStart(8)} ${"p99.9".padStart(8)} ${"srv cpu".padStart(8)} ${"pg cpu".padStart(8)} ${"redis".padStart(8)} ${"load cpu".padStart(8)}`;
  const rows = r.phases.map(
    (p) =>
      `${phaseLabel(p)} ${String(p.result.calls).padStart(7)} ${String(p.result.errors).padStart(6)} ${f(p.result.opsPerSecond, 0)} ${f(p.result.p50Ms, 2)} ${f(p.result.p90Ms, 2)} ${f(p.result.p99Ms, 2)} ${f(p.result.p999Ms, 2)} ${f(p.serverCpuMsPerCall, 3)} ${f(p.postgresCpuMsPerCall, 3)} ${f(p.redisCpuMsPerCall, 3)} ${f(p.loadCpuMsPerCall, 3)}`,
  );
  const floor = r.cryptoFloor;
  return [
    `storage: ${r.storage}; server: ${r.server === "build" ? "production build" : "sources (tsx)"} in its own process; load generator: raw HTTP/2 gRPC over ${r.connections} connection(s), own process; loopback mTLS`,
    `machine: ${r.cpus} CPUs, load average ${r.loadAverage.before ?? "?"} before / ${r.loadAverage.after ?? "?"} after; service peak RSS ${f(r.peakRssMiB, 1, 0)} MiB`,
    "latency in ms (open loop: from the intended send time); CPU columns in ms per successful call",
    header,
    ...rows,
    `crypto floor (node:crypto, per CPU second of one core): ES256 ${floor.es256PerSecond.toFixed(0)}/s (${floor.es256Us.toFixed(0)} us), Ed25519 ${floor.ed25519PerSecond.toFixed(0)}/s (${floor.ed25519Us.toFixed(0)} us)`,
    ...(r.floor === undefined ? [] : formatFloor(r.floor)),
    ...Object.entries(r.ratios).map(([k, v]) => `${k}: ${v.toFixed(2)}`),
  ].join("\n");
}

/** The in-process Verify lines and the storage round trips. */
function formatFloor(floor: FloorReport): string[] {
  const us = (x: number | undefined): string => (x === undefined ? "-" : `${x.toFixed(0)} us`);
  return [
    ...floor.verify.map(
      (v) =>
        `in-process Verify (the handler called directly, no serving stack) C=${v.concurrency}: ${v.opsPerSecond.toFixed(0)}/s, p50 ${v.p50Ms.toFixed(2)} ms, p99 ${v.p99Ms.toFixed(2)} ms, CPU ${v.cpuMsPerVerify.toFixed(3)} ms per verify${v.errors > 0 ? `, ${v.errors} errors` : ""}`,
    ),
    `client CPU per round trip from Node, one at a time: Redis PING ${us(floor.redisRoundTripCpuUs)}, Postgres SELECT 1 ${us(floor.postgresRoundTripCpuUs)}`,
  ];
}
