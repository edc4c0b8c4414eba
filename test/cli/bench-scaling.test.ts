/** The bench's scaling part: which layouts it measures, the ratios to one worker, the table, the --scale flag. */
import { describe, expect, it } from "vitest";
import { scalingLayouts } from "../../src/cli/bench/scaling.js";
import { formatScaling, scalingRatios, type ScalingPoint } from "../../src/cli/bench/scaling-report.js";
import { readBenchSettings } from "../../src/cli/bench/settings.js";

function point(name: string, verifiesPerSecond: number, serverCpuMsPerVerify: number): ScalingPoint {
  return {
    name,
    replicas: name.includes("replicas") ? 2 : 1,
    workersPerReplica: 1,
    calls: 1000,
    errors: 0,
    verifiesPerSecond,
    serverCpuMsPerVerify,
    postgresCpuMsPerVerify: undefined,
    redisCpuMsPerVerify: 0.05,
    loadCpuMsPerVerify: 0.2,
    p50Ms: 3,
    p99Ms: 9,
  };
}

describe("bench --scale", () => {
  it("measures 1, 2 and N workers once each, then two replicas", () => {
    expect(scalingLayouts(2).map((l) => l.name)).toEqual(["1 worker", "2 workers", "2 replicas"]);
    expect(scalingLayouts(1).map((l) => l.name)).toEqual(["1 worker", "2 workers", "2 replicas"]);
    expect(scalingLayouts(8).map((l) => [l.name, l.replicas, l.workers])).toEqual([
      ["1 worker", 1, 1],
      ["2 workers", 1, 2],
      ["8 workers", 1, 8],
      ["2 replicas", 2, 1],
    ]);
  });

  it("reports throughput and server CPU per Verify as ratios to one worker", () => {
    const points = [point("1 worker", 1000, 1), point("2 workers", 1500, 1.2), point("2 replicas", 1400, 1.25)];
    expect(scalingRatios(points)).toEqual({
      "throughput/1_worker[2 workers]": 1.5,
      "server_cpu_per_verify/1_worker[2 workers]": 1.2,
      "throughput/1_worker[2 replicas]": 1.4,
      "server_cpu_per_verify/1_worker[2 replicas]": 1.25,
    });
    const table = formatScaling({ usableCpus: 2, concurrency: 32, connections: 8, phaseSeconds: 2, points, ratios: scalingRatios(points), verifiesPerServerCoreSecond: 1000 });
    expect(table).toContain("2 workers");
    expect(table).toMatch(/capacity: 1000 verifies per second per fully busy server core/);
  });

  it("is off unless --scale is given", () => {
    expect(readBenchSettings({}).scale).toBe(false);
    expect(readBenchSettings({}, ["--short", "--scale"])).toMatchObject({ scale: true, server: "source" });
  });
});
