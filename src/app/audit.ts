/** Composition step: the batched audit decision writer and the timer that signs the chain head. */
import type { SqlStorage } from "../adapters/sql/storage.js";
import type { Config } from "../config/types.js";
import { signCheckpoint } from "../domain/audit/checkpoint-jws.js";
import { createCheckpointer } from "../domain/audit/checkpointer.js";
import { createDecisionWriter, type DecisionWriter } from "../domain/audit/decision-writer.js";
import type { Clock } from "../domain/clock.js";
import type { Signer } from "../domain/issuer/signer.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { Opened } from "./closers.js";

export interface AuditDeps {
  readonly config: Config;
  readonly storage: SqlStorage;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Closing stops the checkpoint timer, then flushes the writer. */
export function createAuditPipeline(deps: AuditDeps): Opened<DecisionWriter> {
  const { storage, signer, clock, logger, metrics } = deps;
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
  });
  checkpointer.start();
  return {
    value: writer,
    async close() {
      checkpointer.stop();
      await writer.close();
    },
  };
}
