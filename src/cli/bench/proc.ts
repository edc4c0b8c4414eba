/** CPU and memory of processes from /proc (Linux): the service, its Postgres backends, Redis. */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) of `pid` in ms; undefined when it cannot be read. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Total CPU ms of `pids` (unreadable ones count 0). */
export function cpuMsOfAll(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (cpuMsOf(pid) ?? 0), 0);
}

/** Peak resident set (VmHWM) of `pid` in MiB. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** Local processes whose command line contains every one of `parts` (e.g. a Postgres backend of one database). */
export function pidsMatching(...parts: string[]): number[] {
  if (process.platform !== "linux") return [];
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (parts.every((p) => cmd.includes(p))) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** The machine's load average over the last minute (the bench reports it: the machine may be shared). */
export function loadAverage(): number | undefined {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/**
 * CPU of a changing set of processes (Postgres backends come and go with the pool) over a phase: polls the
 * matching pids and keeps each one's first and last reading; a process that appears mid-phase counts from 0.
 * A process that exits loses at most one poll interval of CPU.
 */
export class ProcessSetCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly find: () => readonly number[],
    intervalMs = 250,
  ) {
    this.poll(true);
    this.timer = setInterval(() => this.poll(false), intervalMs);
  }

  private poll(atStart: boolean): void {
    for (const pid of this.find()) {
      const cpu = cpuMsOf(pid);
      if (cpu === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, atStart ? cpu : 0);
      this.last.set(pid, cpu);
    }
  }

  /** Stops polling and returns the CPU ms used since construction. */
  stop(): number {
    clearInterval(this.timer);
    this.poll(false);
    let sum = 0;
    for (const [pid, last] of this.last) sum += last - (this.first.get(pid) ?? 0);
    return sum;
  }
}
