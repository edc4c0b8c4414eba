/** The grpc.health.v1.Health service (Check, Watch, List) over the HealthRegistry. */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthCheckResponse } from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthView, ServingState } from "./health-registry.js";

function toStatus(state: ServingState | undefined): ServingStatus {
  if (state === undefined) return ServingStatus.SERVICE_UNKNOWN;
  return state === "serving" ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
}

function response(status: ServingStatus): HealthCheckResponse {
  return create(HealthCheckResponseSchema, { status });
}

/** The Health implementation: Check answers NOT_FOUND for unknown services; Watch ends on shutdown. */
export function healthService(registry: HealthView): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const state = registry.status(req.service);
      if (state === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return response(toStatus(state));
    },
    list() {
      return {
        statuses: Object.fromEntries(registry.services.map((s) => [s, response(toStatus(registry.status(s)))])),
      };
    },
    async *watch(req, ctx) {
      let wake: (() => void) | undefined;
      let pending = true;
      const unsubscribe = registry.subscribe(() => {
        pending = true;
        wake?.();
      });
      const onAbort = (): void => wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      try {
        let last: ServingStatus | undefined;
        while (!ctx.signal.aborted) {
          if (pending) {
            pending = false;
            const status = toStatus(registry.status(req.service));
            if (status !== last) {
              last = status;
              yield response(status);
            }
            if (registry.isShuttingDown) return;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
