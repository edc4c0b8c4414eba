/** Periodic signed checkpoints of the audit chain head ("event seq has hash H"), when the head moved. */
import type { Clock } from "../clock.js";
import type { AuditCheckpointRecord } from "./chain.js";
import type { CheckpointStore } from "./ports.js";

interface CheckpointerOptions {
  readonly store: CheckpointStore;
  /** Signs the statement (seq, hash) and returns a compact JWS (see signCheckpoint). */
  readonly signHead: (seq: number, hash: string) => Promise<string>;
  readonly clock: Clock;
  /** Milliseconds between attempts (AUDIT_CHECKPOINT_INTERVAL_SECONDS * 1000). */
  readonly intervalMs: number;
  /** A failed periodic attempt (database or signer down); the next tick tries again. */
  readonly onError: (error: unknown) => void;
}

interface Checkpointer {
  /** Starts the timer (unref'd: it never keeps the process alive). */
  start(): void;
  /** Stops the timer and waits for a running attempt. */
  stop(): Promise<void>;
  /** Signs the head now if it moved since the latest checkpoint; returns the new checkpoint, if any. */
  checkpointNow(): Promise<AuditCheckpointRecord | undefined>;
}

export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function attempt(): Promise<AuditCheckpointRecord | undefined> {
    const head = await options.store.head();
    if (head === undefined) return undefined;
    const latest = await options.store.latestCheckpoint();
    if (latest !== undefined && latest.seq >= head.seq) return undefined;
    const signature = await options.signHead(head.seq, head.hash);
    const checkpoint: AuditCheckpointRecord = { seq: head.seq, hash: head.hash, signature, createdAtMs: options.clock.nowMs() };
    await options.store.insertCheckpoint(checkpoint);
    return checkpoint;
  }

  function checkpointNow(): Promise<AuditCheckpointRecord | undefined> {
    const p = (running ?? Promise.resolve()).then(attempt, attempt);
    running = p.catch(() => undefined);
    return p;
  }

  return {
    start(): void {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        checkpointNow().catch(options.onError);
      }, options.intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await running;
    },
    checkpointNow,
  };
}
