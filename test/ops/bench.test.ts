// The bench runs a small bounded workload end to end in its own processes and reports every phase (no speed is asserted here).
import { describe, expect, it } from "vitest";
import { benchPlan, formatBench, readBenchSettings, runBench } from "../../src/cli/bench.js";
import { percentile, runOpenLoop, runPhase } from "../../src/cli/bench/measure.js";
import { readStreamAnswer, streamRequestFrame } from "../../src/cli/bench/stream-client.js";
import { grpcFrame } from "../../src/cli/bench/h2-client.js";

describe("bench measurement", () => {
  it("nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(500);
    expect(percentile(sorted, 0.9)).toBe(900);
    expect(percentile(sorted, 0.999)).toBe(999);
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

  it("open loop offers rate x duration calls and measures from the intended send time", async () => {
    let calls = 0;
    const r = await runOpenLoop("o", { ratePerSecond: 100, durationMs: 200, maxInFlight: 100 }, async () => {
      calls++;
      await new Promise((res) => setTimeout(res, 30));
    });
    expect(calls).toBe(20);
    expect(r.calls).toBe(20);
    expect(r.errors).toBe(0);
    expect(r.p50Ms).toBeGreaterThanOrEqual(29);
  });

  it("frames stream requests with their correlation id and reads answers back", () => {
    const verify = grpcFrame(Buffer.from([0x1a, 0x01, 0x61]));
    const frame = streamRequestFrame(42, verify);
    expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
    expect([...frame.subarray(5)]).toEqual([0x0a, 2, 0x34, 0x32, 0x12, 3, 0x1a, 0x01, 0x61]);
    expect(readStreamAnswer(Buffer.from([0x0a, 1, 0x37, 0x12, 2, 0x08, 0x01]))).toEqual({ id: 7, valid: true });
    expect(readStreamAnswer(Buffer.from([0x0a, 1, 0x37, 0x1a, 0]))).toEqual({ id: 7, valid: false });
  });

  it("reads its settings with defaults, --json and --short, and refuses nonsense", () => {
    expect(readBenchSettings({})).toMatchObject({ concurrencies: [1, 16, 64], connections: 4, server: "build", jsonFile: undefined, servingOptions: true });
    expect(readBenchSettings({}, ["--short"])).toMatchObject({ servingOptions: false });
    expect(() => readBenchSettings({ BENCH_SERVING_OPTIONS: "2" })).toThrow(/BENCH_SERVING_OPTIONS/);
    expect(readBenchSettings({ BENCH_CONCURRENCY: "2,8" }, ["--json", "out.json"])).toMatchObject({ concurrencies: [2, 8], jsonFile: "out.json" });
    expect(readBenchSettings({}, ["--short"])).toMatchObject({ server: "source", maxCalls: 40 });
    expect(() => readBenchSettings({ BENCH_CONCURRENCY: "0" })).toThrow(/BENCH_CONCURRENCY/);
    expect(() => readBenchSettings({}, ["--json"])).toThrow(/--json/);
    expect(readBenchSettings({})).toMatchObject({ floor: true, floorCalls: 4000 });
    expect(readBenchSettings({ BENCH_FLOOR: "0", BENCH_FLOOR_CALLS: "50" }, ["--short"])).toMatchObject({ floor: false, floorCalls: 50 });
    expect(() => readBenchSettings({ BENCH_FLOOR: "yes" })).toThrow(/BENCH_FLOOR/);
  });

  it("plans Check, Verify and both references per concurrency, then open-loop rates and the stream", () => {
    const plan = benchPlan(readBenchSettings({ BENCH_CONCURRENCY: "1,16", BENCH_RATES: "100", BENCH_SERVING_OPTIONS: "0" }));
    expect(plan.map((p) => p.name)).toEqual([
      "service:check@C1",
      "service:verify@C1",
      "grpc-js:check@C1",
      "http1:http1-null@C1",
      "service:check@C16",
      "service:verify@C16",
      "grpc-js:check@C16",
      "http1:http1-null@C16",
      "service:verify@100/s",
      "service:verify-stream@64",
    ]);
    // The full form measures the serving options beside the service: Connect over HTTP/1.1, Connect-node serving gRPC.
    expect(benchPlan(readBenchSettings({ BENCH_CONCURRENCY: "4", BENCH_RATES: "100", BENCH_STREAM_IN_FLIGHT: "0" })).map((p) => p.name)).toEqual([
      "service:check@C4",
      "service:verify@C4",
      "service:check-connect-h1@C4",
      "service:verify-connect-h1@C4",
      "connect-h2:check@C4",
      "connect-h2:verify@C4",
      "grpc-js:check@C4",
      "http1:http1-null@C4",
      "service:verify@100/s",
    ]);
    const ab = benchPlan(readBenchSettings({ BENCH_CONCURRENCY: "1", BENCH_RATES: "100", BENCH_STREAM_IN_FLIGHT: "0", BENCH_BASELINE_MAIN: "/x/main.js", BENCH_SERVING_OPTIONS: "0" }));
    expect(ab.map((p) => p.name)).toEqual([
      "service:check@C1",
      "baseline:check@C1",
      "service:verify@C1",
      "baseline:verify@C1",
      "grpc-js:check@C1",
      "http1:http1-null@C1",
      "service:verify@100/s",
      "baseline:verify@100/s",
    ]);
  });
});

describe("npm run bench --short", () => {
  it("measures every phase over mTLS in separate processes with every call succeeding", async () => {
    const lines: string[] = [];
    const settings = { ...readBenchSettings({}, ["--short"]), phaseSeconds: 60, maxCalls: 20, rates: [20] };
    const report = await runBench({ ...settings, phaseSeconds: 1 }, (l) => lines.push(l));
    expect(report.storage).toBe("pglite (memory) + in-memory stores");
    expect(report.phases.map((p) => `${p.target}:${p.rpc}:${p.mode}`)).toEqual(benchPlan({ ...settings, phaseSeconds: 1 }).map((p) => `${p.target}:${p.rpc}:${p.mode}`));
    for (const p of report.phases) {
      expect(p.result.errors, `${p.result.name}: ${p.result.firstError}`).toBe(0);
      expect(p.result.calls).toBeGreaterThan(0);
      expect(p.loadCpuMsPerCall).toBeGreaterThanOrEqual(0);
    }
    expect(report.cryptoFloor.es256PerSecond).toBeGreaterThan(0);
    // The floor child called the Verify handler in-process at each concurrency, every call verified.
    expect(report.floor?.verify.map((v) => [v.concurrency, v.calls, v.errors])).toEqual(settings.concurrencies.map((c) => [c, settings.floorCalls, 0]));
    for (const v of report.floor!.verify) expect(v.cpuMsPerVerify).toBeGreaterThan(0);
    // Embedded storage: no Redis or Postgres round trip to time.
    expect(report.floor!.redisRoundTripCpuUs).toBeUndefined();
    expect(report.floor!.postgresRoundTripCpuUs).toBeUndefined();
    expect(Object.keys(report.ratios)).toContain("server_cpu_per_verify/in_process_verify@C1");
    expect(formatBench(report)).toMatch(/in-process Verify \(the handler called directly, no serving stack\) C=4: \d+\/s/);
    expect(Object.keys(report.ratios)).toContain("verify/null_rpc@C1");
    expect(formatBench(report)).toMatch(/verify\/null_rpc@C4: [\d.]+/);
  }, 240_000);
});
