/**
 * Logging interceptor: one line per request. Domain errors at their catalogue level with their code and log-only
 * detail; other server faults at error level with the cause; everything else at debug.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { isDomainError, logLevelOf, type DomainError } from "../../domain/errors.js";
import type { Logger } from "../../telemetry/logger.js";
import { listenerKey, peerKey, requestIdKey } from "../context.js";
import { codeLabel } from "./metrics.js";
import { fullMethodName, observeResponse } from "./stream.js";

/** Codes that mean the server failed, not the caller. */
const SERVER_FAULTS: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable]);

export function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const write = (error: unknown): void => {
      // A call that ended well is a debug line: nothing to build unless debug is on.
      if (error === undefined && !logger.isLevelEnabled("debug")) return;
      const fields = {
        requestId: req.contextValues.get(requestIdKey),
        method: fullMethodName(req),
        listener: req.contextValues.get(listenerKey),
        peer: req.contextValues.get(peerKey)?.identity,
        code: codeLabel(error),
        durationMs: performance.now() - started,
      };
      const domain = domainErrorOf(error);
      if (domain !== undefined) {
        logDomainError(logger, fields, domain);
      } else if (error instanceof ConnectError && SERVER_FAULTS.has(error.code)) {
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

function domainErrorOf(error: unknown): DomainError | undefined {
  return error instanceof ConnectError && isDomainError(error.cause) ? error.cause : undefined;
}

/** A string cause is log-only detail (e.g. why a certificate was refused); any other cause is logged as the error. */
function logDomainError(logger: Logger, fields: Record<string, unknown>, e: DomainError): void {
  const level = logLevelOf(e);
  const detail = typeof e.cause === "string" ? { detail: e.cause } : e.cause === undefined ? {} : { cause: e.cause };
  const line = { ...fields, errorCode: e.code, error: e.message, ...detail };
  logger[level](level === "error" ? { ...line, err: e } : line, level === "debug" ? "rpc" : level === "error" ? "rpc failed" : "rpc refused");
}
