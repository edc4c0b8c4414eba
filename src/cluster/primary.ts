/**
 * The cluster primary (WORKERS > 1): forks the workers that serve the mTLS and browser ports (shared through
 * node:cluster), serves the sidecar for all of them, replaces a worker that dies, drains them all on SIGTERM.
 */
import type { Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import type { Config } from "../config/types.js";
import type { MetricsSource } from "../server/http-endpoints.js";
import type { Logger } from "../telemetry/logger.js";
import { createPrimaryMetrics, type PrimaryMetrics } from "../telemetry/metrics.js";
import { ClusterHealth } from "./cluster-health.js";
import { startPrimarySidecar, type PrimarySidecar } from "./primary-sidecar.js";
import { WorkerPool } from "./worker-pool.js";
import { WorkerQueries } from "./worker-queries.js";

/** A worker that does not answer a metrics or JWKS question within this fails the request. */
const QUERY_TIMEOUT_MS = 3_000;
/** The sidecar's own drain once the workers are gone (its requests are short). */
const SIDECAR_DRAIN_MS = 1_000;

/** /metrics: every serving worker's registry merged (counters and histograms summed) with the primary's own. */
function mergedMetrics(pool: WorkerPool, queries: WorkerQueries, own: PrimaryMetrics): MetricsSource {
  return {
    registry: {
      contentType: own.registry.contentType,
      async metrics() {
        const answers = await Promise.all(pool.listeningWorkers().map((w) => queries.ask(w, "metrics")));
        const registries = answers.filter((a): a is object[] => Array.isArray(a));
        return AggregatorRegistry.aggregate([...registries, await own.registry.getMetricsAsJSON()]).metrics();
      },
    },
  };
}

/** The issuer JWKS from a serving worker (they all read the same key records). */
function jwksFromWorkers(pool: WorkerPool, queries: WorkerQueries): () => Promise<object> {
  return async () => {
    const worker: Worker | undefined = pool.listeningWorkers()[0];
    if (worker === undefined) throw new Error("no worker is serving");
    const jwks = await queries.ask(worker, "jwks");
    if (typeof jwks !== "object" || jwks === null) throw new Error("a worker answered the jwks query with no document");
    return jwks;
  };
}

/** Runs the primary until a signal stops it (then exits: 0 when every worker drained cleanly). */
export async function runPrimary(config: Config, logger: Logger, shutdownDeadlineMs: number): Promise<void> {
  const own = createPrimaryMetrics();
  const health = new ClusterHealth(config.workers);
  const queries = new WorkerQueries(QUERY_TIMEOUT_MS);
  const pool = new WorkerPool({ count: config.workers, logger, health, queries, metrics: own });
  const sidecar = await startPrimarySidecar({ config, health, logger, metrics: mergedMetrics(pool, queries, own), jwks: jwksFromWorkers(pool, queries) });
  const stop = stopper(pool, sidecar, health, logger, shutdownDeadlineMs);
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  let ports;
  try {
    ports = await pool.start();
  } catch (e) {
    await pool.stop(shutdownDeadlineMs);
    await sidecar.shutdown(SIDECAR_DRAIN_MS);
    throw e;
  }
  logger.info(
    { grpcPort: ports.grpcPort, browserPort: ports.browserPort, sidecarPort: sidecar.port, mode: config.mode, workers: config.workers },
    "agent identity service listening",
  );
}

/** SIGTERM/SIGINT once: NOT_SERVING, every worker drains and exits, the sidecar closes, the primary exits. */
function stopper(pool: WorkerPool, sidecar: PrimarySidecar, health: ClusterHealth, logger: Logger, deadlineMs: number): (signal: string) => void {
  let stopping = false;
  return (signal) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    health.setShuttingDown();
    pool
      .stop(deadlineMs)
      .then(async (clean) => {
        await sidecar.shutdown(SIDECAR_DRAIN_MS);
        if (!clean) logger.error("a worker did not stop cleanly");
        logger.info("stopped");
        process.exit(clean ? 0 : 1);
      })
      .catch((e: unknown) => {
        logger.error({ err: e }, "shutdown failed");
        process.exit(1);
      });
  };
}
