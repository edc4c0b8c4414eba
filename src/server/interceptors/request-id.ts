/** Request id interceptor: accepts a sane incoming x-request-id or makes one, stores it in context, echoes it back. */
import { randomUUID } from "node:crypto";
import { ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { requestIdKey } from "../context.js";
import { observeResponse } from "./stream.js";

export const REQUEST_ID_HEADER = "x-request-id";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The incoming id when it is 8-128 characters of [A-Za-z0-9._:-]; otherwise a new UUID. */
export function acceptRequestId(incoming: string | null): string {
  return incoming !== null && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function requestIdInterceptor(): Interceptor {
  return (next) => async (req) => {
    const id = acceptRequestId(req.header.get(REQUEST_ID_HEADER));
    req.contextValues.set(requestIdKey, id);
    const tag = (e: unknown): unknown => {
      if (e instanceof ConnectError) e.metadata.set(REQUEST_ID_HEADER, id);
      return e;
    };
    try {
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, id);
      return observeResponse(res, () => undefined, tag);
    } catch (e) {
      throw tag(e);
    }
  };
}
