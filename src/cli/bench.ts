/**
 * `npm run bench`: starts the service in this process on loopback, registers an agent, then measures a cheap
 * authenticated RPC (VerifierService.GetJwks) and Verify with pre-made fresh proofs over real mTLS gRPC;
 * prints ops/s, p50 and p99 of each and the Verify/GetJwks ratios. Bounded in count and time.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { exportJWK, generateKeyPair } from "jose";
import { AgentIdentityClient } from "../client/agent.js";
import { runPhase, type PhaseLimits, type PhaseResult } from "./bench/measure.js";
import { startBenchService } from "./bench/service.js";

export const BENCH_VARIABLES = ["BENCH_REQUESTS", "BENCH_CONCURRENCY", "BENCH_WARMUP", "BENCH_MAX_SECONDS", "BENCH_DATABASE_URL", "BENCH_REDIS_URL"] as const;

export interface BenchSettings {
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly maxSeconds: number;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name]?.trim();
  if (v === undefined || v === "") return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`${name} must be a whole number ${min}..${max}`);
  return Number(v);
}

export function readBenchSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const opt = (name: string): string | undefined => (env[name]?.trim() ? env[name]!.trim() : undefined);
  return {
    requests: integer(env, "BENCH_REQUESTS", 2000, 1, 1_000_000),
    concurrency: integer(env, "BENCH_CONCURRENCY", 16, 1, 1024),
    warmup: integer(env, "BENCH_WARMUP", 200, 0, 100_000),
    maxSeconds: integer(env, "BENCH_MAX_SECONDS", 60, 1, 3600),
    databaseUrl: opt("BENCH_DATABASE_URL"),
    redisUrl: opt("BENCH_REDIS_URL"),
  };
}

export interface BenchReport {
  readonly storage: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly null_rpc: PhaseResult;
  readonly verify: PhaseResult;
  /** Verify throughput / GetJwks throughput. */
  readonly throughput_ratio: number;
  /** Verify p50 / GetJwks p50. */
  readonly p50_ratio: number;
}

const SCOPE = "bench:verify";
const OPERATION = "bench.call";

export async function runBench(settings: BenchSettings, log: (line: string) => void): Promise<BenchReport> {
  const service = await startBenchService({ databaseUrl: settings.databaseUrl, redisUrl: settings.redisUrl });
  try {
    const { admin, registry } = service.admin;
    const { org } = await admin.createOrg({ name: "bench" });
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const agent = await AgentIdentityClient.fromJwk(await exportJWK(privateKey), { serviceAudience: service.issuerUrl });
    const registered = await registry.registerAgent({
      orgId: org!.id,
      displayName: "bench agent",
      publicJwk: JSON.stringify(agent.publicJwk),
      capabilities: { scopes: [SCOPE], operations: [OPERATION], amountLimits: [] },
      possessionProof: await agent.makePossessionProof({ op: "agent.register", audience: service.issuerUrl, orgId: org!.id }),
    });
    const credential = registered.credential!.token;
    const audience = service.material.clients.relyingParty.identity;

    // Proofs are made before the clock starts, so the agent's signing is not measured.
    const total = settings.warmup + settings.requests;
    log(`bench: ${service.storage}; making ${total} proofs`);
    const proofs: string[] = [];
    for (let i = 0; i < total; i++) {
      proofs.push(await agent.makeProof({ audience, scope: SCOPE, op: OPERATION, amountMinor: 0, currency: "", credentialOrSession: credential }));
    }
    const verifyCall = async (proof: string): Promise<void> => {
      const res = await service.verifier.verify({
        presented: { case: "credential", value: credential },
        proof,
        scope: SCOPE,
        operation: OPERATION,
        amountMinor: 0n,
        currency: "",
      });
      if (res.reasonCode !== "verified") throw new Error(`verify refused: ${res.reasonCode}`);
    };
    const nullCall = async (): Promise<void> => {
      await service.verifier.getJwks({});
    };

    const limits = (requests: number): PhaseLimits => ({ requests, concurrency: settings.concurrency, maxMs: settings.maxSeconds * 1000 });
    if (settings.warmup > 0) {
      log(`bench: warm-up (${settings.warmup} calls each)`);
      await runPhase("warmup-null", limits(settings.warmup), nullCall);
      await runPhase("warmup-verify", limits(settings.warmup), (i) => verifyCall(proofs[i]!));
    }
    log(`bench: ${settings.requests} calls each, concurrency ${settings.concurrency}`);
    const nullRpc = await runPhase("GetJwks", limits(settings.requests), nullCall);
    const verify = await runPhase("Verify", limits(settings.requests), (i) => verifyCall(proofs[settings.warmup + i]!));
    return {
      storage: service.storage,
      requests: settings.requests,
      concurrency: settings.concurrency,
      null_rpc: nullRpc,
      verify,
      throughput_ratio: verify.opsPerSecond / nullRpc.opsPerSecond,
      p50_ratio: verify.p50Ms / nullRpc.p50Ms,
    };
  } finally {
    await service.close();
  }
}

function row(r: PhaseResult): string {
  const n = (x: number, d: number): string => x.toFixed(d).padStart(10);
  return `${r.name.padEnd(8)} ${String(r.calls).padStart(7)} ${String(r.errors).padStart(6)} ${n(r.opsPerSecond, 0)} ${n(r.p50Ms, 3)} ${n(r.p99Ms, 3)} ${n(r.maxLatencyMs, 3)}`;
}

export function formatBench(report: BenchReport): string {
  return [
    `storage: ${report.storage}; ${report.requests} calls per RPC, concurrency ${report.concurrency}, loopback mTLS gRPC`,
    `${"rpc".padEnd(8)} ${"calls".padStart(7)} ${"errors".padStart(6)} ${"ops/s".padStart(10)} ${"p50 ms".padStart(10)} ${"p99 ms".padStart(10)} ${"max ms".padStart(10)}`,
    row(report.null_rpc),
    row(report.verify),
    `Verify/GetJwks: throughput x${report.throughput_ratio.toFixed(2)}, p50 x${report.p50_ratio.toFixed(2)}`,
  ].join("\n");
}

async function main(): Promise<void> {
  let settings: BenchSettings;
  try {
    settings = readBenchSettings(process.env);
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runBench(settings, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${formatBench(report)}\n${JSON.stringify(report)}\n`);
  if (report.null_rpc.errors + report.verify.errors > 0) {
    process.stderr.write(`bench: ${report.null_rpc.errors + report.verify.errors} calls failed (${report.verify.firstError ?? report.null_rpc.firstError})\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
