/** Error mapping interceptor: DomainError kind -> gRPC code, ConnectError passes, anything else -> Internal. */
import { CODE_OF_KIND } from "../../api/grpc-codes.js";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { isDomainError } from "../../domain/errors.js";
import type { DomainError } from "../../domain/errors.js";
import { badRequestDetail } from "../bad-request.js";
import { observeResponse } from "./stream.js";

/** Response metadata key carrying the stable domain error code (e.g. "agent.not_found"). */
export const ERROR_CODE_HEADER = "x-error-code";

/**
 * Converts any thrown value into the ConnectError the client sees. Internal detail stays in `cause` (logged,
 * never sent). A DomainError of kind internal also gets the generic message.
 */
export function toConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  if (isDomainError(e)) return fromDomainError(e);
  return new ConnectError("internal error", Code.Internal, undefined, undefined, e);
}

function fromDomainError(e: DomainError): ConnectError {
  const code = CODE_OF_KIND[e.kind];
  const metadata = new Headers({ [ERROR_CODE_HEADER]: e.code });
  if (e.kind === "resource_exhausted" && e.retryAfterMs !== undefined) {
    metadata.set("retry-after", String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))));
  }
  const details = e.fieldViolations.length > 0 ? [badRequestDetail(e.fieldViolations)] : [];
  const message = e.kind === "internal" ? "internal error" : e.message;
  return new ConnectError(message, code, metadata, details, e);
}

export function errorMappingInterceptor(): Interceptor {
  return (next) => async (req) => {
    try {
      return observeResponse(await next(req), () => undefined, toConnectError);
    } catch (e) {
      throw toConnectError(e);
    }
  };
}
