/** Helpers for interceptors that must see the end of a call, including server streams that fail mid-way. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";

/** Full method names by method descriptor: built once, so every interceptor gets the same (hashed) string. */
const METHOD_NAMES = new WeakMap<object, string>();

/** Full method name of a request: "/package.Service/Method". */
export function fullMethodName(req: { readonly service: { readonly typeName: string }; readonly method: { readonly name: string } }): string {
  let name = METHOD_NAMES.get(req.method);
  if (name === undefined) {
    name = `/${req.service.typeName}/${req.method.name}`;
    METHOD_NAMES.set(req.method, name);
  }
  return name;
}

/**
 * Calls `onEnd` once when the call finishes: at once for unary responses, after the last message (or the
 * error) for streams. `mapError` may replace an error thrown while streaming.
 */
export function observeResponse<R extends UnaryResponse | StreamResponse>(
  res: R,
  onEnd: (error: unknown) => void,
  mapError: (error: unknown) => unknown = (e) => e,
): R {
  if (!res.stream) {
    onEnd(undefined);
    return res;
  }
  const source = res.message;
  async function* observed() {
    let outcome: { error: unknown } | undefined;
    try {
      for await (const m of source) yield m;
      outcome = { error: undefined };
    } catch (e) {
      outcome = { error: mapError(e) };
      throw outcome.error;
    } finally {
      // Without an outcome the consumer stopped reading: the client went away.
      onEnd(outcome === undefined ? new ConnectError("client went away", Code.Canceled) : outcome.error);
    }
  }
  return { ...res, message: observed() };
}
