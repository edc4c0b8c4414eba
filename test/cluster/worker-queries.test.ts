/** The primary's IPC questions: answered by id, failed by an error answer, a deadline, or the worker's exit. */
import type { Worker } from "node:cluster";
import { describe, expect, it } from "vitest";
import type { PrimaryMessage } from "../../src/cluster/messages.js";
import { WorkerQueries } from "../../src/cluster/worker-queries.js";

/** A worker stand-in that records what it is sent (the IPC channel is node:cluster's; the bookkeeping is ours). */
function fakeWorker(id: number): { worker: Worker; sent: PrimaryMessage[] } {
  const sent: PrimaryMessage[] = [];
  const worker = {
    id,
    send(message: PrimaryMessage, callback: (err: Error | null) => void): boolean {
      sent.push(message);
      callback(null);
      return true;
    },
  };
  return { worker: worker as unknown as Worker, sent };
}

describe("WorkerQueries", () => {
  it("resolves each question with its own answer, by id", async () => {
    const queries = new WorkerQueries(1_000);
    const { worker, sent } = fakeWorker(1);
    const metrics = queries.ask(worker, "metrics");
    const jwks = queries.ask(worker, "jwks");
    expect(sent.map((m) => m.query)).toEqual(["metrics", "jwks"]);
    queries.answered({ aid: "answer", id: sent[1]!.id, value: { keys: [] } });
    queries.answered({ aid: "answer", id: sent[0]!.id, value: [] });
    await expect(jwks).resolves.toEqual({ keys: [] });
    await expect(metrics).resolves.toEqual([]);
  });

  it("rejects on an error answer, at the deadline, and when the worker exits", async () => {
    const queries = new WorkerQueries(50);
    const a = fakeWorker(1);
    const b = fakeWorker(2);
    const failed = queries.ask(a.worker, "metrics");
    queries.answered({ aid: "answer", id: a.sent[0]!.id, error: "collection failed" });
    await expect(failed).rejects.toThrow("collection failed");
    await expect(queries.ask(a.worker, "jwks")).rejects.toThrow(/did not answer jwks within 50 ms/);
    const long = new WorkerQueries(60_000);
    const gone = long.ask(b.worker, "metrics");
    const other = long.ask(a.worker, "metrics");
    long.workerExited(2);
    await expect(gone).rejects.toThrow("worker 2 exited");
    long.answered({ aid: "answer", id: a.sent.at(-1)!.id, value: [] });
    await expect(other).resolves.toEqual([]);
  });
});
