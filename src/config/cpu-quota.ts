/** The CPUs this process may really use: os.availableParallelism() capped by the container's cgroup CPU quota. */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** Where the cgroup CPU quota files are (v2: cpu.max; v1: cpu.cfs_quota_us and cpu.cfs_period_us). */
export interface CgroupPaths {
  readonly v2CpuMax: string;
  readonly v1Quota: string;
  readonly v1Period: string;
}

const DEFAULT_PATHS: CgroupPaths = {
  v2CpuMax: "/sys/fs/cgroup/cpu.max",
  v1Quota: "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
  v1Period: "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
};

/** cgroup v2 cpu.max ("<quota> <period>" or "max <period>"): the quota in CPUs, undefined when unlimited or unreadable. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === "max") return undefined;
  return quotaInCpus(quota, period ?? "100000");
}

/** cgroup v1 cpu.cfs_quota_us (-1 = unlimited) over cpu.cfs_period_us: the quota in CPUs, or undefined. */
export function parseCfsQuota(quotaText: string, periodText: string): number | undefined {
  const quota = quotaText.trim();
  if (quota.startsWith("-")) return undefined;
  return quotaInCpus(quota, periodText.trim());
}

function quotaInCpus(quota: string, period: string): number | undefined {
  if (!/^\d+$/.test(quota) || !/^\d+$/.test(period)) return undefined;
  const q = Number(quota);
  const p = Number(period);
  if (q <= 0 || p <= 0) return undefined;
  return q / p;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    // No such cgroup file: not in a container, or the other cgroup version; the quota is then not limiting.
    return undefined;
  }
}

/** The cgroup CPU quota in CPUs (v2 first, then v1), or undefined when there is none. */
export function cgroupCpuQuota(paths: CgroupPaths = DEFAULT_PATHS): number | undefined {
  const v2 = readText(paths.v2CpuMax);
  if (v2 !== undefined) return parseCpuMax(v2);
  const quota = readText(paths.v1Quota);
  const period = readText(paths.v1Period);
  if (quota === undefined || period === undefined) return undefined;
  return parseCfsQuota(quota, period);
}

/**
 * Whole CPUs the process may use: the smaller of the CPUs it may be scheduled on and the quota rounded down
 * (as Go's automaxprocs does: a quota of 1.5 CPUs shared by two busy processes gets them throttled), at least 1.
 */
export function usableCpus(quota: number | undefined = cgroupCpuQuota(), parallelism: number = availableParallelism()): number {
  const byQuota = quota === undefined ? parallelism : Math.floor(quota);
  return Math.max(1, Math.min(parallelism, byQuota));
}
