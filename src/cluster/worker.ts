/** A cluster worker's side of the IPC: tells the primary it listens and how healthy it is, answers its queries. */
import { buildJwks } from "../domain/credentials/index.js";
import type { App } from "../app.js";
import type { HealthRegistry } from "../server/health-registry.js";
import type { Logger } from "../telemetry/logger.js";
import { isPrimaryMessage, type PrimaryMessage, type WorkerHealth, type WorkerMessage } from "./messages.js";

/** Health is pushed on every change and at least this often (the /readyz notices are read at each push). */
const HEALTH_REFRESH_MS = 1_000;

function healthOf(registry: HealthRegistry): WorkerHealth {
  const statuses = Object.fromEntries(registry.services.map((s) => [s, registry.status(s) ?? "not_serving"]));
  return { statuses, readiness: registry.readiness() };
}

function send(message: WorkerMessage, logger: Logger): void {
  // The channel closes when the primary is gone; node:cluster then ends this worker on its own.
  if (!process.connected || process.send === undefined) return;
  process.send(message, undefined, {}, (err: Error | null) => {
    if (err !== null) logger.warn({ error: err.message }, "message to the cluster primary failed");
  });
}

async function answer(app: App, message: PrimaryMessage): Promise<unknown> {
  if (message.query === "metrics") return app.metrics.registry.getMetricsAsJSON();
  return buildJwks(app.keySet.published());
}

/** Starts reporting to the primary; returns the function that stops it. */
export function joinCluster(app: App, logger: Logger): () => void {
  send({ aid: "listening", grpcPort: app.server.grpcPort, browserPort: app.server.browserPort }, logger);
  const report = (): void => send({ aid: "health", health: healthOf(app.health) }, logger);
  report();
  const unsubscribe = app.health.subscribe(report);
  const timer = setInterval(report, HEALTH_REFRESH_MS);
  timer.unref();
  const onMessage = (message: unknown): void => {
    if (!isPrimaryMessage(message)) return;
    answer(app, message).then(
      (value) => send({ aid: "answer", id: message.id, value }, logger),
      (e: unknown) => send({ aid: "answer", id: message.id, error: e instanceof Error ? e.message : String(e) }, logger),
    );
  };
  process.on("message", onMessage);
  return () => {
    unsubscribe();
    clearInterval(timer);
    process.off("message", onMessage);
  };
}
