/** What each listener serves and through which interceptors: built without sockets, so tests can route to it. */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { Config } from "../config/types.js";
import type { Clock } from "../domain/clock.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { AdminAuthenticator } from "./admin-authenticator.js";
import { AUTHORIZATION_TABLE, type AuthorizationTable } from "./authorization-table.js";
import { browserMethodTable, type BrowserMethodTable } from "./browser-table.js";
import type { ListenerKind } from "./context.js";
import { healthService } from "./health.js";
import type { HealthRegistry } from "./health-registry.js";
import { interceptorChain } from "./interceptors/chain.js";
import { registerReflection } from "./reflection.js";
import { checkRequestMessages, type OnRejectedMessage } from "./request-messages.js";

/** Largest accepted request message, bytes. */
export const READ_MAX_BYTES = 1024 * 1024;

/**
 * Longest deadline a caller may ask for (grpc-timeout, connect-timeout-ms), ms: the longest node timer (about 24.8
 * days). Node runs a longer timer after 1 ms, so without this cap a call asking for 99999999 hours was cancelled at
 * once; above it the call is refused with INVALID_ARGUMENT naming the timeout.
 */
export const MAX_DEADLINE_MS = 2 ** 31 - 1;

export interface ServiceRouterOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: HealthRegistry;
  readonly adminAuthenticator: AdminAuthenticator;
  /** Registers our services (src/api); health and reflection are added here. */
  readonly routes: (router: ConnectRouter) => void;
  /** Defaults to AUTHORIZATION_TABLE (tests pass their own). */
  readonly authorizationTable?: AuthorizationTable;
  /** Defaults to browserMethodTable(config.browser.admin). */
  readonly browserTable?: BrowserMethodTable;
  readonly clock?: Clock;
}

/** The interceptor chain of every listener (the server appends its drain check). */
export function serverInterceptors(options: ServiceRouterOptions): Interceptor[] {
  return interceptorChain({
    logger: options.logger,
    metrics: options.metrics,
    adminAuthenticator: options.adminAuthenticator,
    authorizationTable: options.authorizationTable ?? AUTHORIZATION_TABLE,
    browserTable: options.browserTable ?? browserMethodTable(options.config.browser.admin),
    rateLimitPerMinute: options.config.api.rateLimitPerMinute,
    clock: options.clock,
  });
}

/**
 * mTLS: our services, health and reflection; browser: our services and health; sidecar: health only. Every
 * handler checks its request messages first: undecodable ones never reach the interceptors, so they are counted
 * and logged here.
 */
export function listenerRoutes(listener: ListenerKind, options: ServiceRouterOptions): (router: ConnectRouter) => void {
  return (router) => {
    if (listener !== "sidecar") options.routes(router);
    router.service(Health, healthService(options.health));
    if (listener === "mtls") registerReflection(router);
    checkRequestMessages(router, READ_MAX_BYTES, undecodableMessageReporter(listener, options));
  };
}

/** Counts and logs a request refused because its message does not decode (it never reaches the interceptors). */
export function undecodableMessageReporter(listener: ListenerKind, options: Pick<ServiceRouterOptions, "metrics" | "logger">): OnRejectedMessage {
  const { metrics, logger } = options;
  return (method, reason) => {
    metrics.rpcTotal.inc({ method, code: "invalid_argument" });
    logger.info({ method, listener, reason }, "request refused: undecodable message");
  };
}
