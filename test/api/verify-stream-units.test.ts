// VerifyStream's building blocks: the bounded concurrent map (backpressure, completion order, failure) and its code table.
import { describe, expect, it } from "vitest";
import { boundedConcurrentMap } from "../../src/api/bounded-stream.js";

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  return { promise: new Promise<void>((r) => (resolve = r)), resolve };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("boundedConcurrentMap", () => {
  it("reads the source no further than `limit` items ahead of the answers, and yields in completion order", async () => {
    let read = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 10; i++) {
        read++;
        yield i;
      }
    }
    const gates = Array.from({ length: 10 }, deferred);
    const out: number[] = [];
    const consuming = (async () => {
      for await (const r of boundedConcurrentMap(source(), 3, async (i) => (await gates[i]!.promise, i))) out.push(r);
    })();
    await tick();
    expect(read).toBe(3);
    gates[2]!.resolve();
    await tick();
    expect(out).toEqual([2]);
    expect(read).toBe(4);
    for (const g of gates) g.resolve();
    await consuming;
    expect(out.slice(0, 1)).toEqual([2]);
    expect([...out].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("ends with the error of a failed item, and with the source's error", async () => {
    async function* three(): AsyncGenerator<number> {
      yield* [1, 2, 3];
    }
    const failing = boundedConcurrentMap(three(), 2, async (i) => {
      if (i === 2) throw new Error("boom");
      return i;
    });
    await expect((async () => { for await (const _ of failing) void _; })()).rejects.toThrow("boom");
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      throw new Error("source broke");
    }
    await expect((async () => { for await (const _ of boundedConcurrentMap(broken(), 2, async (i) => i)) void _; })()).rejects.toThrow("source broke");
  });
});
