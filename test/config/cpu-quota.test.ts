/** The cgroup-aware CPU count: cpu.max (v2) and cfs_quota_us/cfs_period_us (v1) fixtures, capped by the CPUs available. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cgroupCpuQuota, parseCfsQuota, parseCpuMax, usableCpus, type CgroupPaths } from "../../src/config/cpu-quota.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "cgroup");

function paths(dir: string): CgroupPaths {
  const base = join(FIXTURES, dir);
  return { v2CpuMax: join(base, "cpu.max"), v1Quota: join(base, "cpu.cfs_quota_us"), v1Period: join(base, "cpu.cfs_period_us") };
}

describe("cgroup CPU quota parsers", () => {
  it("reads cgroup v2 cpu.max: a quota, a fractional quota, max (unlimited), garbage", () => {
    expect(parseCpuMax("300000 100000\n")).toBe(3);
    expect(parseCpuMax("50000 100000")).toBe(0.5);
    expect(parseCpuMax("max 100000\n")).toBeUndefined();
    expect(parseCpuMax("")).toBeUndefined();
    expect(parseCpuMax("lots 100000")).toBeUndefined();
    expect(parseCpuMax("100000 0")).toBeUndefined();
  });

  it("reads cgroup v1 cfs_quota_us over cfs_period_us; -1 is unlimited", () => {
    expect(parseCfsQuota("200000\n", "100000\n")).toBe(2);
    expect(parseCfsQuota("-1\n", "100000\n")).toBeUndefined();
    expect(parseCfsQuota("x", "100000")).toBeUndefined();
  });
});

describe("cgroupCpuQuota from files", () => {
  it("v2 first, v1 otherwise, none without either", () => {
    expect(cgroupCpuQuota(paths("v2-limited"))).toBe(3);
    expect(cgroupCpuQuota(paths("v2-fractional"))).toBe(1.5);
    expect(cgroupCpuQuota(paths("v2-unlimited"))).toBeUndefined();
    expect(cgroupCpuQuota(paths("v1-limited"))).toBe(2);
    expect(cgroupCpuQuota(paths("v1-unlimited"))).toBeUndefined();
    expect(cgroupCpuQuota(paths("none"))).toBeUndefined();
  });
});

describe("usableCpus", () => {
  it("is the smaller of the schedulable CPUs and the quota rounded down, at least 1", () => {
    // A 3-CPU quota on a 64-core host: 3, not 64.
    expect(usableCpus(3, 64)).toBe(3);
    // A quota above the CPUs the process may be scheduled on does not add any.
    expect(usableCpus(8, 2)).toBe(2);
    expect(usableCpus(1.5, 8)).toBe(1);
    expect(usableCpus(0.5, 8)).toBe(1);
    expect(usableCpus(undefined, 4)).toBe(4);
  });
});
