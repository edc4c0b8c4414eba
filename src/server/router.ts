/** What each listener serves and through which interceptors: built without sockets, so tests can route to it. */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import type { Config } from "../config/types.js";
import type { Clock } from "../domain/clock.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { AdminAuthenticator } from "./admin-authenticator.js";
import { AUTHORIZATION_TABLE, type AuthorizationTable } from "./authorization-table.js";
import type { ListenerKind } from "./context.js";
import { healthService } from "./health.js";
import type { HealthRegistry } from "./health-registry.js";
import { interceptorChain } from "./interceptors/chain.js";
import { registerReflection } from "./reflection.js";

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
  readonly clock?: Clock;
}

/** The interceptor chain of every listener (the server appends its drain check). */
export function serverInterceptors(options: ServiceRouterOptions): Interceptor[] {
  return interceptorChain({
    logger: options.logger,
    metrics: options.metrics,
    adminAuthenticator: options.adminAuthenticator,
    authorizationTable: options.authorizationTable ?? AUTHORIZATION_TABLE,
    rateLimitPerMinute: options.config.api.rateLimitPerMinute,
    clock: options.clock,
  });
}

/** mTLS: our services, health and reflection; browser: our services and health; sidecar: health only. */
export function listenerRoutes(listener: ListenerKind, options: ServiceRouterOptions): (router: ConnectRouter) => void {
  return (router) => {
    if (listener !== "sidecar") options.routes(router);
    router.service(Health, healthService(options.health));
    if (listener === "mtls") registerReflection(router);
  };
}
