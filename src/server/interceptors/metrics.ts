/** Metrics interceptor: counts every RPC and times it, by full method name and final gRPC code. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import type { Metrics } from "../../telemetry/metrics.js";
import { fullMethodName, observeResponse } from "./stream.js";

/** gRPC code name as a label value ("ok", "permission_denied", ...). */
export function codeLabel(error: unknown): string {
  if (error === undefined) return "ok";
  const code = error instanceof ConnectError ? error.code : Code.Unknown;
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

export function metricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const method = fullMethodName(req);
    const started = performance.now();
    const record = (error: unknown): void => {
      const labels = { method, code: codeLabel(error) };
      metrics.rpcTotal.inc(labels);
      metrics.rpcDurationSeconds.observe(labels, (performance.now() - started) / 1000);
    };
    let res;
    try {
      res = await next(req);
    } catch (e) {
      record(e);
      throw e;
    }
    return observeResponse(res, record);
  };
}
