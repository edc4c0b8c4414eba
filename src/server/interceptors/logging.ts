/** Logging interceptor: one debug line per request; server faults at error level with the request id and cause. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "../../telemetry/logger.js";
import { listenerKey, peerKey, requestIdKey } from "../context.js";
import { codeLabel } from "./metrics.js";
import { fullMethodName, observeResponse } from "./stream.js";

/** Codes that mean the server failed, not the caller. */
const SERVER_FAULTS: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable]);

export function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = process.hrtime.bigint();
    const write = (error: unknown): void => {
      const fields = {
        requestId: req.contextValues.get(requestIdKey),
        method: fullMethodName(req),
        listener: req.contextValues.get(listenerKey),
        peer: req.contextValues.get(peerKey)?.identity,
        code: codeLabel(error),
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      };
      if (error instanceof ConnectError && SERVER_FAULTS.has(error.code)) {
        logger.error({ ...fields, err: error, cause: error.cause }, "rpc failed");
      } else if (error !== undefined && !(error instanceof ConnectError)) {
        logger.error({ ...fields, err: error }, "rpc failed");
      } else {
        logger.debug(error instanceof ConnectError ? { ...fields, error: error.rawMessage } : fields, "rpc");
      }
    };
    let res;
    try {
      res = await next(req);
    } catch (e) {
      write(e);
      throw e;
    }
    return observeResponse(res, write);
  };
}
