// The bench runs a small bounded workload end to end and reports both phases (no speed is asserted here).
import { describe, expect, it } from "vitest";
import { formatBench, readBenchSettings, runBench } from "../../src/cli/bench.js";
import { percentile, runPhase } from "../../src/cli/bench/measure.js";

describe("bench measurement", () => {
  it("nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it("makes exactly the requested number of calls and counts errors apart", async () => {
    const seen: number[] = [];
    const r = await runPhase("p", { requests: 25, concurrency: 4, maxMs: 60_000 }, async (i) => {
      seen.push(i);
      if (i % 5 === 0) throw new Error(`boom ${i}`);
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(r.calls).toBe(25);
    expect(r.errors).toBe(5);
    expect(r.firstError).toMatch(/^boom/);
  });

  it("reads its settings with defaults and refuses nonsense", () => {
    expect(readBenchSettings({})).toMatchObject({ requests: 2000, concurrency: 16, warmup: 200, databaseUrl: undefined, redisUrl: undefined });
    expect(() => readBenchSettings({ BENCH_CONCURRENCY: "0" })).toThrow(/BENCH_CONCURRENCY/);
  });
});

describe("npm run bench (small)", () => {
  it("measures GetJwks and Verify over mTLS with every call succeeding", async () => {
    const lines: string[] = [];
    const report = await runBench({ requests: 40, concurrency: 4, warmup: 5, maxSeconds: 120, databaseUrl: undefined, redisUrl: undefined }, (l) => lines.push(l));
    expect(report.null_rpc).toMatchObject({ name: "GetJwks", calls: 40, errors: 0 });
    expect(report.verify).toMatchObject({ name: "Verify", calls: 40, errors: 0 });
    expect(report.throughput_ratio).toBeGreaterThan(0);
    expect(Number.isFinite(report.p50_ratio)).toBe(true);
    expect(formatBench(report)).toMatch(/Verify\/GetJwks: throughput x[\d.]+, p50 x[\d.]+/);
    expect(lines[0]).toContain("pglite (memory) + in-memory stores");
  }, 180_000);
});
