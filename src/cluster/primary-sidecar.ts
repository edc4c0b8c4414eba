/** The cluster primary's sidecar: /healthz, /readyz, /metrics, the JWKS and grpc.health.v1 for all its workers. */
import { setMaxListeners } from "node:events";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { Config } from "../config/types.js";
import { ConnectionTracker } from "../server/connection-tracker.js";
import { healthService } from "../server/health.js";
import type { HealthView } from "../server/health-registry.js";
import type { MetricsSource } from "../server/http-endpoints.js";
import { createSidecarListener, listenOn } from "../server/listeners.js";
import { MAX_DEADLINE_MS, READ_MAX_BYTES } from "../server/router.js";
import type { Logger } from "../telemetry/logger.js";

export interface PrimarySidecarOptions {
  readonly config: Config;
  readonly health: HealthView;
  readonly metrics: MetricsSource;
  readonly jwks: () => Promise<object>;
  readonly logger: Logger;
}

export interface PrimarySidecar {
  readonly port: number;
  /** Stops accepting, lets requests in flight finish until the deadline, then closes every connection. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** Listens on SIDECAR_PORT (rejects when the port is taken). */
export async function startPrimarySidecar(options: PrimarySidecarOptions): Promise<PrimarySidecar> {
  const { config, health, metrics, jwks, logger } = options;
  const shutdownController = new AbortController();
  setMaxListeners(0, shutdownController.signal);
  const grpc = connectNodeAdapter({
    routes: (router) => router.service(Health, healthService(health)),
    readMaxBytes: READ_MAX_BYTES,
    maxTimeoutMs: MAX_DEADLINE_MS,
    shutdownSignal: shutdownController.signal,
  });
  // grpc.health.v1 has no client- or bidi-streaming method: nothing is open-ended on this listener.
  const tracker = new ConnectionTracker(config.limits, new Set());
  const server = createSidecarListener(grpc, tracker, { health, metrics, logger, jwks });
  const port = await listenOn(server, config.listen.host, config.listen.sidecarPort);
  return {
    port,
    async shutdown(deadlineMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      tracker.startDrain();
      await tracker.drained(AbortSignal.timeout(deadlineMs));
      shutdownController.abort();
      tracker.destroyAll();
      await closed;
    },
  };
}
