/** The composition root: compose the services (src/app/services.ts), then listen; main.ts and tests use it. */
import type { Config } from "./config/types.js";
import type { IssuerKeySet } from "./domain/credentials/index.js";
import type { HealthRegistry } from "./server/health-registry.js";
import type { TlsMaterial } from "./server/listeners.js";
import { startServer, type RunningServer } from "./server/server.js";
import type { Metrics } from "./telemetry/metrics.js";
import { composeServices, type ComposeOptions } from "./app/services.js";

export interface AppOptions extends ComposeOptions {
  /** PEM material instead of the files named in config.tls (tests). */
  readonly tls?: TlsMaterial;
  /** Serve the sidecar port (default true; a cluster worker leaves it to the primary). */
  readonly sidecar?: boolean;
}

export interface App {
  readonly config: Config;
  readonly server: RunningServer;
  readonly metrics: Metrics;
  readonly health: HealthRegistry;
  readonly keySet: IssuerKeySet;
  /** Graceful stop: NOT_SERVING, drain in-flight calls (up to deadlineMs), flush the audit writer, close pools. */
  stop(deadlineMs?: number): Promise<void>;
}

/** Default drain deadline of App.stop. */
const STOP_DEADLINE_MS = 10_000;

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const services = await composeServices(config, options);
  let server: RunningServer;
  try {
    server = await startServer({ ...services, tls: options.tls, sidecar: options.sidecar });
  } catch (e) {
    await services.close();
    throw e;
  }
  services.logger.info(
    { grpcPort: server.grpcPort, browserPort: server.browserPort, sidecarPort: server.sidecarPort, mode: config.mode },
    // In a cluster the primary announces the service once every worker listens.
    options.sidecar === false ? "worker listening" : "agent identity service listening",
  );
  let stopping: Promise<void> | undefined;
  return {
    config,
    server,
    metrics: services.metrics,
    health: services.health,
    keySet: services.keySet,
    stop(deadlineMs = STOP_DEADLINE_MS) {
      stopping ??= server.shutdown(deadlineMs).then(() => services.close());
      return stopping;
    },
  };
}
