/** The primary's questions to its workers over IPC (metrics, JWKS), each answered or failed within a deadline. */
import type { Worker } from "node:cluster";
import type { PrimaryMessage, WorkerMessage, WorkerQuery } from "./messages.js";

interface Pending {
  readonly workerId: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class WorkerQueries {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs: number) {}

  /** Asks one worker; rejects when it does not answer in time, answers with an error, or exits first. */
  ask(worker: Worker, query: WorkerQuery): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(id, new Error(`worker ${worker.id} did not answer ${query} within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending.set(id, { workerId: worker.id, resolve, reject, timer });
      const message: PrimaryMessage = { aid: "query", id, query };
      worker.send(message, (err: Error | null) => {
        if (err !== null) this.fail(id, err);
      });
    });
  }

  /** A worker's answer (messages of other kinds are ignored). */
  answered(message: WorkerMessage): void {
    if (message.aid !== "answer") return;
    const entry = this.pending.get(message.id);
    if (entry === undefined) return;
    this.pending.delete(message.id);
    clearTimeout(entry.timer);
    if (message.error !== undefined) entry.reject(new Error(message.error));
    else entry.resolve(message.value);
  }

  /** A worker exited: its unanswered questions fail now. */
  workerExited(workerId: number): void {
    for (const [id, entry] of this.pending) {
      if (entry.workerId === workerId) this.fail(id, new Error(`worker ${workerId} exited`));
    }
  }

  private fail(id: number, error: Error): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.reject(error);
  }
}
