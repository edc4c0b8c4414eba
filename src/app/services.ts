/** Composes every adapter and service the listeners serve, without opening a socket (the API tests use it as is). */
import { apiRoutes } from "../api/routes.js";
import type { Config } from "../config/types.js";
import { systemClock, type Clock } from "../domain/clock.js";
import { buildJwks, type IssuerKeySet } from "../domain/credentials/index.js";
import { HealthRegistry } from "../server/health-registry.js";
import { createReplayWindowNotice } from "../server/replay-window-notice.js";
import type { ServiceRouterOptions } from "../server/router.js";
import { createLogger, type Logger } from "../telemetry/logger.js";
import { createMetrics, type Metrics } from "../telemetry/metrics.js";
import { createAuditPipeline } from "./audit.js";
import { Closers } from "./closers.js";
import { createAdminTokens, createHandlerDeps } from "./handlers.js";
import { createIssuerKeys, openIssuerSigner } from "./issuer.js";
import { openReplayStores } from "./replay-stores.js";
import { proofWindowOf } from "./probes.js";
import { openStorage } from "./storage.js";
import { createVerifyPath } from "./verify.js";

export interface ComposeOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Collect process metrics (default true; tests running several apps in one process turn it off). */
  readonly processMetrics?: boolean;
}

/** The composed service: what the listeners route to, and how to release it all. */
export interface Services extends ServiceRouterOptions {
  readonly keySet: IssuerKeySet;
  /** The issuer JWKS served at /.well-known/jwks.json. */
  jwks(): Promise<ReturnType<typeof buildJwks>>;
  /** Stops probes and timers, flushes the audit writer, closes Redis and the database (last opened first). */
  close(): Promise<void>;
}

/** The composition root's steps in order; a failing step closes what the earlier ones opened. */
export async function composeServices(config: Config, options: ComposeOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const metrics: Metrics = createMetrics({ processMetrics: options.processMetrics ?? true });
  const closers = new Closers();
  try {
    const health = new HealthRegistry({ onCheckResult: (name, ok) => metrics.dependencyUp.set({ dependency: name }, ok ? 1 : 0) });
    closers.keep({ value: health, close: () => health.stopProbes() });
    for (const notice of config.deprecations) logger.warn(notice);
    const replayWindow = createReplayWindowNotice({ health, logger, clock, window: proofWindowOf(config) });
    const { db, storage } = closers.keep(await openStorage(config, logger, health));
    const stores = closers.keep(await openReplayStores({ config, logger, clock, health, db, replayWindow }));
    const signer = closers.keep(await openIssuerSigner(config));
    const issuer = closers.keep(await createIssuerKeys(config, signer, storage, clock, health));
    const { keySet } = issuer;
    const audit = closers.keep(createAuditPipeline({ config, storage, signer, clock, logger, metrics, health }));
    const verifyDeps = { config, storage, stores, keySet, credentials: issuer.verifier, decisions: audit.decisions, clock, logger, metrics, replayWindow };
    const verify = closers.keep(await createVerifyPath(verifyDeps));
    // This start may have changed the key set (ensureActive made its signer's key active): every other worker
    // and replica reloads it now, so all publish and trust the same keys.
    await stores.bus.publish({ kind: "issuer_keys" });
    const admin = await createAdminTokens(config, storage, clock, metrics);
    const handlers = closers.keep(
      createHandlerDeps({ config, storage, stores, issuer, exchanger: admin.exchanger, verify, clock, logger, checkpointNow: audit.checkpointNow }),
    );
    return {
      config,
      logger,
      metrics,
      health,
      clock,
      keySet,
      adminAuthenticator: admin.authenticator,
      routes: apiRoutes(handlers),
      jwks: async () => buildJwks(keySet.published()),
      close: () => closers.closeAll(logger),
    };
  } catch (e) {
    await closers.closeAll(logger);
    throw e;
  }
}
