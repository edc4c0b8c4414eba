/**
 * Periodic signed checkpoints of the audit chain head ("event seq has hash H"), when the head moved. Before it
 * signs, it re-checks the chain from the last checkpoint it signed or checked (its anchor); a break (events
 * changed under a checkpoint, its checkpoint deleted) is reported and no checkpoint is ever signed again.
 */
import type { Clock } from "../clock.js";
import type { AuditReader } from "../storage.js";
import { GENESIS_HASH, type AuditCheckpointRecord, type ChainHead } from "./chain.js";
import { eventContentProblem } from "./chain-check.js";
import { rangeInPages } from "./range-pages.js";

export type CheckpointStore = Pick<AuditReader, "head" | "latestCheckpoint" | "insertCheckpoint" | "range">;

export interface CheckpointerOptions {
  readonly store: CheckpointStore;
  /** Signs the statement (seq, hash) and returns a compact JWS (see signCheckpoint). */
  readonly signHead: (seq: number, hash: string) => Promise<string>;
  readonly clock: Clock;
  /** Milliseconds between attempts (AUDIT_CHECKPOINT_INTERVAL_SECONDS * 1000). */
  readonly intervalMs: number;
  /** A failed periodic attempt (database or signer down, or the chain broken); the next tick tries again. */
  readonly onError: (error: unknown) => void;
  /** Told once when the chain is found broken (app.ts: alert metric and readiness detail). */
  readonly onChainBroken?: (problem: string) => void;
}

export interface Checkpointer {
  /** Starts the timer (unref'd: it never keeps the process alive). */
  start(): void;
  /** Stops the timer and waits for a running attempt. */
  stop(): Promise<void>;
  /**
   * Signs the head now if it moved since the latest checkpoint; returns the new checkpoint, if any.
   * @throws AuditChainBrokenError when the chain does not verify from the anchor (now or before).
   */
  checkpointNow(): Promise<AuditCheckpointRecord | undefined>;
  /** The break found, if any. */
  readonly broken: string | undefined;
}

/** The chain no longer verifies from the last checkpoint this process signed or checked: nothing is signed. */
export class AuditChainBrokenError extends Error {
  override readonly name = "AuditChainBrokenError";
}

/** The first problem of the chain from `anchor` (whose hash is known) to `head`, or undefined when it verifies. */
async function chainProblem(store: CheckpointStore, anchor: ChainHead | undefined, head: ChainHead, latest: AuditCheckpointRecord | undefined): Promise<string | undefined> {
  let prevHash = anchor?.hash ?? GENESIS_HASH;
  const from = anchor === undefined ? 1 : anchor.seq;
  for await (const e of rangeInPages(store, from, head.seq)) {
    if (anchor !== undefined && e.seq === anchor.seq) {
      if (e.hash !== anchor.hash) return `event ${e.seq} no longer has the hash its checkpoint signed`;
      continue;
    }
    if (e.prevHash !== prevHash) return `event ${e.seq}: prev_hash does not link to event ${e.seq - 1}`;
    const problem = eventContentProblem(e);
    if (problem !== undefined) return `event ${e.seq}: ${problem}`;
    if (latest !== undefined && e.seq === latest.seq && e.hash !== latest.hash) return `event ${e.seq} differs from its checkpoint`;
    prevHash = e.hash;
  }
  if (prevHash !== head.hash) return `the chain ends before its head ${head.seq}`;
  return undefined;
}

export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  const { store } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  /** The last checkpoint this process signed or verified the chain up to; undefined before the first attempt. */
  let anchor: ChainHead | undefined;
  let broken: string | undefined;

  function breakChain(problem: string): never {
    if (broken === undefined) {
      broken = problem;
      options.onChainBroken?.(problem);
    }
    throw new AuditChainBrokenError(`audit chain broken: ${broken}; refusing to sign checkpoints`);
  }

  async function attempt(): Promise<AuditCheckpointRecord | undefined> {
    if (broken !== undefined) breakChain(broken);
    const head = await store.head();
    const latest = await store.latestCheckpoint();
    if (anchor !== undefined && (latest === undefined || latest.seq < anchor.seq)) {
      breakChain(`the checkpoint at seq ${anchor.seq} is gone`);
    }
    // The first attempt of a process anchors at the newest stored checkpoint (or genesis on a new chain).
    const from = anchor ?? (latest === undefined ? undefined : { seq: latest.seq, hash: latest.hash });
    if (from !== undefined && (head === undefined || head.seq < from.seq)) breakChain(`the chain is shorter than its checkpoint at seq ${from.seq}`);
    if (head === undefined) return undefined;
    const problem = await chainProblem(store, from, head, latest);
    if (problem !== undefined) breakChain(problem);
    if (latest !== undefined && latest.seq >= head.seq) {
      anchor = { seq: latest.seq, hash: latest.hash };
      return undefined;
    }
    const signature = await options.signHead(head.seq, head.hash);
    const checkpoint: AuditCheckpointRecord = { seq: head.seq, hash: head.hash, signature, createdAtMs: options.clock.nowMs() };
    await store.insertCheckpoint(checkpoint);
    anchor = { seq: head.seq, hash: head.hash };
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
    get broken() {
      return broken;
    },
  };
}
