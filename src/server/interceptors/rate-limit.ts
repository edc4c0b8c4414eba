/** Per-peer rate limits from the method table (the Verify path's limits live in the replay gate instead). */
import type { Interceptor } from "@connectrpc/connect";
import type { Clock } from "../../domain/clock.js";
import { isDomainError } from "../../domain/errors.js";
import { CallerGuard } from "../../domain/verify/caller-guard.js";
import type { Metrics } from "../../telemetry/metrics.js";
import type { AuthorizationTable } from "../authorization-table.js";
import type { BrowserMethodTable } from "../browser-table.js";
import { clientAddressKey, listenerKey, peerKey } from "../context.js";
import { fullMethodName } from "./stream.js";

export interface RateLimitOptions {
  readonly table: AuthorizationTable;
  readonly browserTable: BrowserMethodTable;
  readonly perMinute: number;
  readonly clock: Clock;
  readonly metrics: Metrics;
}

/** "/pkg.Service/CreateOrg" -> "create_org": the fixed label set of agent_identity_rate_limit_hits_total. */
export function endpointLabel(method: string): string {
  const name = method.slice(method.lastIndexOf("/") + 1);
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * Applies "per-peer" limits: a token bucket per peer identity (on the browser listener per client address; per
 * listener for other callers without one), burst one
 * minute's quota. Over the limit: RESOURCE_EXHAUSTED with a retry-after hint, counted by endpoint. Runs after
 * authorization, so the table lookup is known to succeed.
 */
export function rateLimitInterceptor(options: RateLimitOptions): Interceptor {
  const guard = new CallerGuard(options.clock, {
    perSecond: options.perMinute / 60,
    burst: options.perMinute,
    code: "rate_limit.per_peer",
  });
  return (next) => async (req) => {
    const method = fullMethodName(req);
    const listener = req.contextValues.get(listenerKey);
    const onBrowser = listener === "browser";
    const limit = (onBrowser ? options.browserTable.get(method)?.limit : options.table.get(method)?.limit) ?? "per-peer";
    if (limit === "per-peer") {
      const caller = onBrowser
        ? `browser:${req.contextValues.get(clientAddressKey)}`
        : (req.contextValues.get(peerKey)?.identity ?? `anonymous:${listener}`);
      try {
        guard.take(`${caller} ${method}`);
      } catch (e) {
        if (isDomainError(e) && e.kind === "resource_exhausted") {
          options.metrics.rateLimitHitsTotal.inc({ endpoint: endpointLabel(method) });
        }
        throw e;
      }
    }
    return next(req);
  };
}
