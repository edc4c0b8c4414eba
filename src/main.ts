/**
 * Process entry: load and validate the config once, build the app, listen; SIGTERM/SIGINT stop it gracefully.
 * With WORKERS > 1 this process becomes the cluster primary (src/cluster) and each worker runs the app.
 */
import cluster from "node:cluster";
import { buildApp, type App } from "./app.js";
import { runPrimary } from "./cluster/primary.js";
import { joinCluster } from "./cluster/worker.js";
import { isConfigError } from "./config/errors.js";
import { unsupportedNodeVersion } from "./config/node-version.js";
import { loadStartupConfig } from "./config/startup.js";
import type { Config } from "./config/types.js";
import { describeStartupFailure } from "./startup-failure.js";
import { createLogger, type Logger } from "./telemetry/logger.js";

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const unsupported = unsupportedNodeVersion(process.version);
  if (unsupported !== undefined) {
    process.stderr.write(`${unsupported}\n`);
    process.exit(1);
  }
  const generated: string[] = [];
  let config;
  try {
    config = await loadStartupConfig({ log: (line) => generated.push(line) });
  } catch (e) {
    if (isConfigError(e)) {
      // One problem: one line naming the variable; several: every one at once, a line each.
      const only = e.problems.length === 1 ? e.problems[0] : undefined;
      process.stderr.write(only === undefined ? `${e.message}\n` : `agent identity service cannot start: ${only.variable}: ${only.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const base = createLogger({ level: config.logLevel });
  // Workers share stdout with the primary: each line says which process wrote it.
  const logger = cluster.isWorker ? base.child({ pid: process.pid }) : base;
  for (const line of generated) logger.info(line);
  if (config.mode === "development") {
    logger.warn(
      { devDir: config.devDir },
      "DEVELOPMENT MODE: generated certificates and keys under the dev directory; never use them in production",
    );
  }
  if (cluster.isPrimary && config.workers > 1) {
    // A port the primary cannot take is named as in one process; a worker that failed printed its own reason.
    await runPrimary(config, logger, SHUTDOWN_DEADLINE_MS).catch((e: unknown) => failStartup(e, config));
    return;
  }
  let app;
  try {
    // A worker leaves the sidecar to the primary, which answers for all workers.
    app = await buildApp(config, { logger, sidecar: cluster.isPrimary });
  } catch (e) {
    failStartup(e, config);
  }
  if (cluster.isWorker) joinCluster(app, logger);
  else logConsoleHint(config, app, logger);
  stopOnSignals(app, logger);
}

/** Development with the browser admin on: where the operator console is and how to trust and sign in. */
function logConsoleHint(config: Config, app: App, logger: Logger): void {
  if (config.mode === "development" && config.browser.admin && app.server.browserPort !== undefined) {
    const host = config.listen.host === "127.0.0.1" || config.listen.host === "0.0.0.0" ? "localhost" : config.listen.host;
    logger.info(
      {
        console: `https://${host}:${app.server.browserPort}/console/`,
        trustCa: `${config.devDir}/ca.crt`,
        signIn: `the admin API key in ${config.devDir}/admin-api-key`,
      },
      "operator console: open the URL after trusting the dev CA in the browser (import ca.crt as a certificate authority, " +
        "e.g. chrome://certificate-manager or Firefox Settings > Certificates > Authorities; or start Chromium with " +
        "--ignore-certificate-errors-spki-list), then sign in with the admin API key",
    );
  }
}

/** SIGTERM/SIGINT: drain and stop once, exit 0 (1 when the shutdown itself failed). */
function stopOnSignals(app: App, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    app
      .stop(SHUTDOWN_DEADLINE_MS)
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((e: unknown) => {
        logger.error({ err: e }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/** Stack traces only when asked for: LOG_LEVEL=debug (or trace). */
function wantsStack(level: string | undefined): boolean {
  return level === "debug" || level === "trace";
}

/** One line naming the cause and the setting to change, then exit 1; the stack trace only at LOG_LEVEL=debug. */
function failStartup(e: unknown, config: Config): never {
  process.stderr.write(`agent identity service cannot start: ${describeStartupFailure(e, config)}\n`);
  if (wantsStack(config.logLevel) && e instanceof Error && e.stack !== undefined) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  const debug = wantsStack(process.env.LOG_LEVEL);
  process.stderr.write(`agent identity service failed to start: ${message}${debug ? "" : " (LOG_LEVEL=debug shows the stack trace)"}\n`);
  if (debug && e instanceof Error && e.stack !== undefined) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
