/** Messages between the bench and its floor child (floor-child.ts), and what the child measures. */

export interface FloorInit {
  readonly type: "init";
  readonly devDir: string;
  readonly issuerUrl: string;
  /** The child's own database (throwaway), or undefined for embedded PGlite. */
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  readonly concurrencies: readonly number[];
  /** Verify calls measured per concurrency (after a warm-up of a fifth as many). */
  readonly calls: number;
  /** Round trips measured per storage client. */
  readonly roundTrips: number;
}

/** The Verify handler called in-process at one concurrency: no HTTP/2, TLS, framing or interceptors. */
export interface InProcessVerify {
  readonly concurrency: number;
  readonly calls: number;
  readonly errors: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU ms of the child process per verify (user + system). */
  readonly cpuMsPerVerify: number;
}

export interface FloorReport {
  readonly verify: readonly InProcessVerify[];
  /** Client CPU us of one Redis PING round trip from Node (ioredis, one at a time); undefined without Redis. */
  readonly redisRoundTripCpuUs: number | undefined;
  /** Client CPU us of one Postgres `SELECT 1` round trip from Node (pg, one at a time); undefined without Postgres. */
  readonly postgresRoundTripCpuUs: number | undefined;
}

export type FloorAnswer = { readonly type: "result"; readonly report: FloorReport } | { readonly type: "error"; readonly message: string };
