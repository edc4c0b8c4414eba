/** The one interceptor chain every listener uses, outermost first. */
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "../../telemetry/logger.js";
import type { Metrics } from "../../telemetry/metrics.js";
import type { AdminAuthenticator } from "../admin-authenticator.js";
import type { AuthorizationTable } from "../authorization-table.js";
import type { BrowserMethodTable } from "../browser-table.js";
import { authorizationInterceptor } from "./authorization.js";
import { errorMappingInterceptor } from "./error-mapping.js";
import { loggingInterceptor } from "./logging.js";
import { metricsInterceptor } from "./metrics.js";
import { rateLimitInterceptor } from "./rate-limit.js";
import { systemClock, type Clock } from "../../domain/clock.js";
import { requestIdInterceptor } from "./request-id.js";

export interface InterceptorChainOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly adminAuthenticator: AdminAuthenticator;
  readonly authorizationTable: AuthorizationTable;
  readonly browserTable: BrowserMethodTable;
  /** Per-peer limit for methods the table marks "per-peer" (RATE_LIMIT_PER_MINUTE). */
  readonly rateLimitPerMinute: number;
  readonly clock?: Clock;
}

/**
 * Request id -> logging -> metrics -> error mapping -> authorization -> rate limit -> handler. Error mapping sits inside
 * logging and metrics so they see the final code; authorization errors are mapped like any other.
 */
export function interceptorChain(options: InterceptorChainOptions): Interceptor[] {
  return [
    requestIdInterceptor(),
    loggingInterceptor(options.logger),
    metricsInterceptor(options.metrics),
    errorMappingInterceptor(),
    authorizationInterceptor({
      table: options.authorizationTable,
      browserTable: options.browserTable,
      adminAuthenticator: options.adminAuthenticator,
      logger: options.logger,
    }),
    rateLimitInterceptor({
      table: options.authorizationTable,
      browserTable: options.browserTable,
      perMinute: options.rateLimitPerMinute,
      clock: options.clock ?? systemClock,
      metrics: options.metrics,
    }),
  ];
}
