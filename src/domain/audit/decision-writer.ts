/** Group-commit writer for verification decisions: many decisions per batch, batches pipelined, callers await their batch. */
import { DomainError, unavailable } from "../errors.js";
import type { AuditBatchAppender } from "../storage.js";
import type { AuditEventInput } from "./chain.js";

export interface DecisionWriterOptions {
  /** Appends one batch to the chain in one transaction (the SQL adapter's auditAppender). */
  readonly appender: AuditBatchAppender;
  /** Most events per batch (default 500). */
  readonly maxBatchSize?: number;
  /**
   * Batches committing at once (default 2): the next batch is sealed and sent while the previous one commits,
   * so a decision waits for about one commit, not for the batch ahead of it plus its own. Two batches in flight
   * may reach the chain in either order: seq is assigned under the chain lock, so the chain stays one order.
   */
  readonly maxBatchesInFlight?: number;
  /** Most events waiting; beyond it write() fails fast with unavailable "audit.queue_full" (default 10000). */
  readonly maxQueue?: number;
  /** Reports each committed batch's size (wired to agent_identity_audit_batch_size). */
  readonly onBatch?: (size: number) => void;
  /** Reports a failed batch (for logs); its callers are rejected with unavailable regardless. */
  readonly onBatchError?: (error: unknown, size: number) => void;
}

export interface DecisionWriter {
  /**
   * Queues a decision event (its id assigned by the caller beforehand) and resolves once its batch has
   * committed. Rejects with DomainError unavailable when the queue is full, the batch fails, or the writer
   * is closed.
   */
  write(event: AuditEventInput): Promise<void>;
  /** Resolves when everything queued so far has committed or failed. */
  flush(): Promise<void>;
  /** Refuses new writes and flushes (shutdown). */
  close(): Promise<void>;
  /** Events queued and not yet committed. */
  readonly pending: number;
}

interface Waiting {
  readonly event: AuditEventInput;
  resolve(): void;
  reject(error: DomainError): void;
}

export function createDecisionWriter(options: DecisionWriterOptions): DecisionWriter {
  const maxBatch = options.maxBatchSize ?? 500;
  const maxBatches = Math.max(1, options.maxBatchesInFlight ?? 2);
  const maxQueue = options.maxQueue ?? 10_000;
  const queue: Waiting[] = [];
  const committing = new Set<Promise<void>>();
  let inFlight = 0;
  let scheduled = false;
  let closed = false;

  async function commit(batch: Waiting[]): Promise<void> {
    try {
      await options.appender.appendBatch(batch.map((w) => w.event));
      options.onBatch?.(batch.length);
      for (const w of batch) w.resolve();
    } catch (e) {
      options.onBatchError?.(e, batch.length);
      const error = e instanceof DomainError && e.kind === "unavailable" ? e : unavailable("audit.write_failed", "audit log", e);
      for (const w of batch) w.reject(error);
    }
  }

  /** Seals batches from the queue while a commit slot is free; each finished commit starts the next. */
  function pump(): void {
    scheduled = false;
    while (queue.length > 0 && committing.size < maxBatches) {
      const batch = queue.splice(0, maxBatch);
      inFlight += batch.length;
      const done: Promise<void> = commit(batch).finally(() => {
        inFlight -= batch.length;
        committing.delete(done);
        pump();
      });
      committing.add(done);
    }
  }

  return {
    write(event: AuditEventInput): Promise<void> {
      if (closed) return Promise.reject(unavailable("audit.writer_closed", "audit log"));
      if (queue.length >= maxQueue) return Promise.reject(unavailable("audit.queue_full", "audit log"));
      return new Promise<void>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          // Start on the next microtask so writes made in the same tick share a batch.
          queueMicrotask(pump);
        }
      });
    },
    async flush(): Promise<void> {
      while (queue.length > 0 || committing.size > 0) {
        pump();
        await Promise.all(committing);
      }
    },
    async close(): Promise<void> {
      closed = true;
      await this.flush();
    },
    get pending(): number {
      return queue.length + inFlight;
    },
  };
}
