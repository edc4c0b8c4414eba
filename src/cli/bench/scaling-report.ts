/** The scaling part of the bench report: Verify throughput and server CPU per Verify by process layout, as ratios to one worker. */

/** One measured layout: WORKERS of one replica, or two replicas sharing Postgres and Redis. */
export interface ScalingPoint {
  /** "1 worker", "2 workers", "2 replicas" ... */
  readonly name: string;
  readonly replicas: number;
  readonly workersPerReplica: number;
  readonly calls: number;
  readonly errors: number;
  readonly verifiesPerSecond: number;
  /** CPU ms per successful Verify of every server process (primaries and workers of every replica). */
  readonly serverCpuMsPerVerify: number;
  /** Postgres backends of the bench database and the local redis-server, per Verify (undefined when not local). */
  readonly postgresCpuMsPerVerify: number | undefined;
  readonly redisCpuMsPerVerify: number | undefined;
  /** The load generators' CPU per Verify (they share this machine). */
  readonly loadCpuMsPerVerify: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ScalingReport {
  /** The CPUs the bench process may use (cgroup quota included): the N of "N workers". */
  readonly usableCpus: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly phaseSeconds: number;
  readonly points: readonly ScalingPoint[];
  /** Each point's verifies/s and server CPU per Verify over the one-worker point's. */
  readonly ratios: Readonly<Record<string, number>>;
  /** Verifies one fully busy core of server processes completes per second (1000 / server CPU ms per Verify, one worker). */
  readonly verifiesPerServerCoreSecond: number;
}

/** `throughput/1_worker[<name>]` and `server_cpu_per_verify/1_worker[<name>]` for every point but the first (one worker). */
export function scalingRatios(points: readonly ScalingPoint[]): Record<string, number> {
  const base = points[0];
  const out: Record<string, number> = {};
  if (base === undefined) return out;
  for (const p of points.slice(1)) {
    out[`throughput/1_worker[${p.name}]`] = p.verifiesPerSecond / base.verifiesPerSecond;
    out[`server_cpu_per_verify/1_worker[${p.name}]`] = p.serverCpuMsPerVerify / base.serverCpuMsPerVerify;
  }
  return out;
}

const fixed = (n: number | undefined, digits: number): string => (n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(digits));

/** The scaling table, one line per layout, ratios to one worker. */
export function formatScaling(r: ScalingReport): string {
  const base = r.points[0];
  const lines = [
    `scaling: closed loop, ${r.concurrency} Verify calls in flight over ${r.connections} connections, ${r.phaseSeconds} s per layout; ${r.usableCpus} usable CPUs`,
    "layout        verifies/s  x1w    server cpu ms/verify  x1w    pg ms  redis ms  load ms  p50 ms  p99 ms  errors",
  ];
  for (const p of r.points) {
    const x = (a: number, b: number | undefined): string => (b === undefined ? "-" : fixed(a / b, 2));
    lines.push(
      [
        p.name.padEnd(13),
        fixed(p.verifiesPerSecond, 0).padStart(10),
        x(p.verifiesPerSecond, base?.verifiesPerSecond).padStart(5),
        fixed(p.serverCpuMsPerVerify, 3).padStart(22),
        x(p.serverCpuMsPerVerify, base?.serverCpuMsPerVerify).padStart(5),
        fixed(p.postgresCpuMsPerVerify, 3).padStart(6),
        fixed(p.redisCpuMsPerVerify, 3).padStart(9),
        fixed(p.loadCpuMsPerVerify, 3).padStart(8),
        fixed(p.p50Ms, 2).padStart(7),
        fixed(p.p99Ms, 2).padStart(7),
        String(p.errors).padStart(7),
      ].join(" "),
    );
  }
  lines.push(`capacity: ${fixed(r.verifiesPerServerCoreSecond, 0)} verifies per second per fully busy server core (one worker; Postgres, Redis and clients not included)`);
  return lines.join("\n");
}
