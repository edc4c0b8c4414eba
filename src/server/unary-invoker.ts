/**
 * The unary invoker: runs a unary method's handler through the same interceptor chain Connect runs it through, for
 * any serving front that parses the request itself (the gRPC fast path). The handlers are the very ones the routes
 * register with Connect, read off a recording router.
 */
import { create, isMessage, type DescMessage, type DescMethodUnary, type DescService, type MessageShape } from "@bufbuild/protobuf";
import {
  createMethodImplSpec,
  createServiceImplSpec,
  type ConnectRouter,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";

type UnaryImpl = (request: MessageShape<DescMessage>, context: HandlerContext) => unknown;
type AnyFn = (req: UnaryRequest) => Promise<UnaryResponse>;

/** One unary method: its descriptors, its path ("/package.Service/Method") and the chain-wrapped call. */
export interface UnaryMethod {
  readonly path: string;
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly impl: UnaryImpl;
}

/**
 * A router that registers everything on `router` (Connect) and also records each unary method's implementation in
 * `found`, by path: the same implementation objects Connect calls (streaming methods are left to Connect).
 */
export function recordingUnaryMethods(router: ConnectRouter, found: Map<string, UnaryMethod>): ConnectRouter {
  const add = (spec: MethodImplSpec): void => {
    if (spec.kind !== "unary" || spec.method.methodKind !== "unary") return;
    const path = `/${spec.method.parent.typeName}/${spec.method.name}`;
    found.set(path, { path, service: spec.method.parent, method: spec.method, impl: spec.impl as UnaryImpl });
  };
  const recorder: ConnectRouter = {
    handlers: router.handlers,
    service(service, impl, options) {
      router.service(service, impl, options);
      for (const spec of Object.values(createServiceImplSpec(service, impl).methods)) add(spec);
      return recorder;
    },
    rpc(method, impl, options) {
      router.rpc(method, impl, options);
      add(createMethodImplSpec(method, impl));
      return recorder;
    },
  };
  return recorder;
}

/** What a front knows about one call before the interceptors run. */
export interface UnaryCall {
  readonly url: string;
  readonly header: Headers;
  readonly message: MessageShape<DescMessage>;
  readonly contextValues: ContextValues;
  /**
   * Aborted at the call's deadline or at shutdown; may be shared by many calls (the server's shutdown signal), so the
   * handler gets a signal of its own, made only if it reads it.
   */
  readonly signal: AbortSignal;
  /** Absolute deadline (Date.now() clock), when the call has one. */
  readonly deadline: number | undefined;
  readonly protocolName: string;
  /** Response headers and trailers the handler and interceptors add to (kept by the front for error answers too). */
  readonly responseHeader: Headers;
  readonly responseTrailer: Headers;
}

/** Connect's applyInterceptors: the first interceptor is the outermost. */
function applyInterceptors(next: AnyFn, interceptors: readonly Interceptor[]): AnyFn {
  let fn = next;
  for (let i = interceptors.length - 1; i >= 0; i--) fn = interceptors[i]!(fn as never) as AnyFn;
  return fn;
}

/**
 * Runs one call through `interceptors` to the method's handler, as Connect's invokeUnaryImplementation does, and
 * resolves to the response message (headers and trailers end up in the call's); rejects with what the chain threw.
 */
export async function invokeUnary(target: UnaryMethod, call: UnaryCall, interceptors: readonly Interceptor[]): Promise<MessageShape<DescMessage>> {
  const { service, method, impl } = target;
  const { responseHeader, responseTrailer } = call;
  const deadline = call.deadline;
  const timeoutMs = deadline === undefined ? () => undefined : () => deadline - Date.now();
  const handler: AnyFn = async (req) => {
    let signal: AbortSignal | undefined;
    const shared = req.signal;
    const context: HandlerContext = {
      method,
      service: req.service,
      // A dependent signal: listeners a handler adds go away with the call instead of piling up on the shared one.
      get signal() {
        return (signal ??= AbortSignal.any([shared]));
      },
      timeoutMs,
      requestMethod: req.requestMethod,
      requestHeader: req.header,
      responseHeader,
      responseTrailer,
      protocolName: call.protocolName,
      values: req.contextValues,
      url: req.url,
    };
    const output = (await impl(req.message, context)) as MessageShape<DescMessage>;
    const message = isMessage(output, method.output) ? output : create(method.output, output);
    return { stream: false, service, method, header: responseHeader, trailer: responseTrailer, message };
  };
  const res = await applyInterceptors(handler, interceptors)({
    stream: false,
    service,
    method,
    requestMethod: "POST",
    url: call.url,
    signal: call.signal,
    header: call.header,
    contextValues: call.contextValues,
    message: call.message,
  });
  copyInto(res.header, responseHeader);
  copyInto(res.trailer, responseTrailer);
  return res.message;
}

/** An interceptor may answer with headers of its own: they replace the call's (Connect's copyHeaders). */
function copyInto(from: Headers, to: Headers): void {
  if (from === to) return;
  for (const key of [...to.keys()]) to.delete(key);
  from.forEach((value, key) => to.set(key, value));
}
