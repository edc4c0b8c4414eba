/** Every metric the service exports, by name and label set, in one prom-client registry per instance. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The admin authentication outcomes counted by agent_identity_admin_auth_total (its `result` label). */
export const ADMIN_AUTH_RESULTS = ["token_issued", "jwt", "jwt_invalid", "missing", "api_key_invalid"] as const;

/**
 * The `result` label of agent_identity_verify_total and agent_identity_verify_duration_seconds, the seed
 * runbook's names: `success` (a valid decision, reason `verified`) or `failure` (everything else: a refusal,
 * with its reason code as `reason`, or a call that got no decision, with the error kind as `reason`:
 * `invalid_argument`, `resource_exhausted`, `unavailable`, `internal`).
 */
export const VERIFY_RESULTS = ["success", "failure"] as const;
export type VerifyResultLabel = (typeof VERIFY_RESULTS)[number];

/** Latency buckets for RPCs, seconds. */
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Verify is the hot path: sub-millisecond resolution. */
const VERIFY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const COMPUTE_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** The service's metrics; each instance owns its registry, so tests may create several. */
export interface Metrics {
  readonly registry: Registry;
  readonly rpcTotal: Counter<"method" | "code">;
  readonly rpcDurationSeconds: Histogram<"method" | "code">;
  readonly adminAuthTotal: Counter<"result">;
  readonly verifyTotal: Counter<"result" | "reason">;
  readonly verifyDurationSeconds: Histogram<"result">;
  readonly replayDenialsTotal: Counter;
  readonly rateLimitHitsTotal: Counter<"endpoint">;
  readonly trustComputeDurationSeconds: Histogram;
  readonly auditBatchSize: Histogram;
  readonly dependencyUp: Gauge<"dependency">;
  readonly auditChainBroken: Gauge;
}

export interface MetricsOptions {
  /** Collect the default process metrics (CPU, memory, event loop, handles); default true. */
  readonly processMetrics?: boolean;
}

/** Creates a fresh registry holding the process metrics and every agent_identity_* metric. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    rpcTotal: new Counter({
      name: "agent_identity_rpc_total",
      help: "RPCs handled, by full method name and gRPC code.",
      labelNames: ["method", "code"] as const,
      registers,
    }),
    rpcDurationSeconds: new Histogram({
      name: "agent_identity_rpc_duration_seconds",
      help: "RPC handling time in seconds, by full method name and gRPC code.",
      labelNames: ["method", "code"] as const,
      buckets: RPC_BUCKETS,
      registers,
    }),
    adminAuthTotal: new Counter({
      name: "agent_identity_admin_auth_total",
      help: "Admin authentication outcomes: token_issued, jwt, jwt_invalid, missing, api_key_invalid.",
      labelNames: ["result"] as const,
      registers,
    }),
    verifyTotal: new Counter({
      name: "agent_identity_verify_total",
      help: "Verify calls by result (success or failure) and reason (the reason code, or the error kind of a call without a decision).",
      labelNames: ["result", "reason"] as const,
      registers,
    }),
    verifyDurationSeconds: new Histogram({
      name: "agent_identity_verify_duration_seconds",
      help: "Verify time in seconds by result (success or failure), with sub-millisecond buckets.",
      labelNames: ["result"] as const,
      buckets: VERIFY_BUCKETS,
      registers,
    }),
    replayDenialsTotal: new Counter({
      name: "agent_identity_replay_denials_total",
      help: "Proofs refused because their nonce was already used.",
      registers,
    }),
    rateLimitHitsTotal: new Counter({
      name: "agent_identity_rate_limit_hits_total",
      help: "Requests refused by a rate limit, by endpoint.",
      labelNames: ["endpoint"] as const,
      registers,
    }),
    trustComputeDurationSeconds: new Histogram({
      name: "agent_identity_trust_compute_duration_seconds",
      help: "Trust score computation time in seconds.",
      buckets: COMPUTE_BUCKETS,
      registers,
    }),
    auditBatchSize: new Histogram({
      name: "agent_identity_audit_batch_size",
      help: "Audit events appended per transaction.",
      buckets: BATCH_BUCKETS,
      registers,
    }),
    dependencyUp: new Gauge({
      name: "agent_identity_dependency_up",
      help: "1 when a dependency check passes, 0 when it fails, by dependency name.",
      labelNames: ["dependency"] as const,
      // Several workers (WORKERS): up only when up in every worker.
      aggregator: "min",
      registers,
    }),
    auditChainBroken: new Gauge({
      name: "agent_identity_audit_chain_broken",
      help: "1 when the checkpointer found the audit chain broken since its last checkpoint (it signs nothing more), else 0.",
      aggregator: "max",
      registers,
    }),
  };
}

/** The cluster primary's own metrics (WORKERS > 1), served with the merge of its workers' metrics. */
export interface PrimaryMetrics {
  readonly registry: Registry;
  readonly workersRunning: Gauge;
  readonly workerRestartsTotal: Counter;
}

/** Its process metrics too: summed with the workers', process_cpu_seconds_total is the whole replica's CPU. */
export function createPrimaryMetrics(): PrimaryMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    workersRunning: new Gauge({
      name: "agent_identity_workers_running",
      help: "Worker processes of this replica that are serving (listening), out of WORKERS.",
      registers,
    }),
    workerRestartsTotal: new Counter({
      name: "agent_identity_worker_restarts_total",
      help: "Worker processes that exited unexpectedly and were replaced.",
      registers,
    }),
  };
}
