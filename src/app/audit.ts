/** Composition step: the batched audit decision writer and the timer that checks and signs the chain head. */
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import type { SqlPersister } from "../adapters/sql/persister.js";
import type { Config } from "../config/types.js";
import { createCheckpointer, createDecisionWriter, signCheckpoint, type DecisionWriter } from "../domain/audit/index.js";
import type { Clock } from "../domain/clock.js";
import type { Signer } from "../domain/keys/index.js";
import type { HealthRegistry } from "../server/health-registry.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { Opened } from "./closers.js";

export interface AuditDeps {
  readonly config: Config;
  readonly storage: SqlPersister;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: HealthRegistry;
}

export interface AuditPipeline {
  readonly decisions: DecisionWriter;
  /** Signs the chain head now if it moved (an export ends on a signed checkpoint). */
  checkpointNow(): Promise<unknown>;
}

/**
 * A broken chain degrades only exports (AdminService; /readyz lists "audit_chain" under degraded) and sets
 * agent_identity_audit_chain_broken. Closing stops the checkpoint timer, then flushes the writer.
 */
export function createAuditPipeline(deps: AuditDeps): Opened<AuditPipeline> {
  const { storage, signer, clock, logger, metrics, health } = deps;
  const writer = createDecisionWriter({
    appender: storage.auditAppender,
    onBatch: (size) => metrics.auditBatchSize.observe(size),
    onBatchError: (err, size) => logger.error({ err, size }, "audit batch failed"),
  });
  const checkpointer = createCheckpointer({
    store: storage.read.audit,
    signHead: (seq, hash) => signCheckpoint(signer, seq, hash, clock.nowMs()),
    clock,
    intervalMs: deps.config.issuer.auditCheckpointIntervalSeconds * 1000,
    onError: (err) => logger.warn({ err }, "audit checkpoint failed; retrying on the next tick"),
    onChainBroken: (problem) => {
      metrics.auditChainBroken.set(1);
      health.report("audit_chain", { ok: false, error: `audit chain broken: ${problem}` });
      logger.error({ problem }, "audit chain broken since the last checkpoint; no checkpoint will be signed");
    },
  });
  health.declare("audit_chain", [AdminService.typeName]);
  health.report("audit_chain", { ok: true });
  metrics.auditChainBroken.set(0);
  checkpointer.start();
  return {
    value: { decisions: writer, checkpointNow: () => checkpointer.checkpointNow() },
    async close() {
      checkpointer.stop();
      await writer.close();
    },
  };
}
