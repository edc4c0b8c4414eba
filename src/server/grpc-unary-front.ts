/**
 * The gRPC unary fast path of the mTLS listener: unary gRPC calls over HTTP/2 (uncompressed protobuf) are read,
 * run through the unary invoker (the same interceptors and handlers as Connect) and answered here, without Connect's
 * per-request stream pipeline, header copies and abort signals. Everything else (streams, gRPC-Web, the Connect
 * protocol, compressed or JSON messages, malformed timeouts) goes to Connect unchanged.
 */
import type { Http2ServerRequest, Http2ServerResponse, IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { NodeHandler } from "./connection-tracker.js";
import type { AnyRequest } from "./http-types.js";
import { refuseMessage, type OnRejectedMessage } from "./request-messages.js";
import { invokeUnary, type UnaryMethod } from "./unary-invoker.js";

export interface GrpcUnaryFrontOptions {
  /** The unary methods served here, by path (recordingUnaryMethods). */
  readonly methods: ReadonlyMap<string, UnaryMethod>;
  /** The listener's interceptor chain, outermost first (the one Connect runs). */
  readonly interceptors: readonly Interceptor[];
  readonly contextValues: (req: AnyRequest) => ContextValues;
  readonly readMaxBytes: number;
  /** Aborted when shutdown cancels the calls in flight; the handlers' signal for calls without a deadline. */
  readonly shutdownSignal: AbortSignal;
  /** Told about request messages that are not valid protobuf (as the request-message check does for Connect). */
  readonly onRejected: OnRejectedMessage;
}

const CONTENT_TYPE = "application/grpc+proto";
/** Connect's default (no cap on grpc-timeout values). */
const MAX_TIMEOUT_MS = Number.MAX_SAFE_INTEGER;

/** The method a request is for when the fast path serves it: POST over HTTP/2, gRPC protobuf, no compression. */
function fastPathMethod(req: AnyRequest, methods: ReadonlyMap<string, UnaryMethod>): UnaryMethod | undefined {
  if (req.httpVersionMajor !== 2 || req.method !== "POST") return undefined;
  const type = req.headers["content-type"];
  if (type !== "application/grpc" && type !== CONTENT_TYPE) return undefined;
  const encoding = req.headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return undefined;
  return methods.get(req.url ?? "");
}

/** Serves unary gRPC calls itself and hands every other request to `connect`. */
export function grpcUnaryFront(connect: NodeHandler, options: GrpcUnaryFrontOptions): NodeHandler {
  return (req, res) => {
    const target = fastPathMethod(req, options.methods);
    if (target === undefined) return connect(req, res);
    const timeoutHeader = req.headers["grpc-timeout"];
    const timeout = parseTimeout(typeof timeoutHeader === "string" ? timeoutHeader : timeoutHeader === undefined ? null : "", MAX_TIMEOUT_MS);
    // An unreadable timeout: Connect answers it.
    if (timeout.error !== undefined) return connect(req, res);
    readBody(req as Http2ServerRequest, res as Http2ServerResponse, target, timeout.timeoutMs, options);
  };
}

/** Collects the request body; an envelope announcing more than readMaxBytes is refused as soon as its prefix arrives. */
function readBody(req: Http2ServerRequest, res: Http2ServerResponse, target: UnaryMethod, timeoutMs: number | undefined, o: GrpcUnaryFrontOptions): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  let prefixChecked = false;
  req.on("data", (chunk: Buffer) => {
    if (refused) return;
    chunks.push(chunk);
    size += chunk.length;
    if (!prefixChecked && size >= 5) {
      prefixChecked = true;
      const length = (chunks.length === 1 ? chunk : Buffer.concat(chunks)).readUInt32BE(1);
      if (length > o.readMaxBytes) {
        refused = true;
        const error = new ConnectError(`message size ${length} is larger than configured readMaxBytes ${o.readMaxBytes}`, Code.ResourceExhausted);
        answerError(res, error, new Headers(), new Headers());
      }
    }
  });
  req.on("end", () => {
    if (refused) return;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    const message = requestMessage(body, target, o);
    if (message instanceof ConnectError) return answerError(res, message, new Headers(), new Headers());
    void call(req, res, target, message, timeoutMs, o);
  });
}

/** The one request message of a unary call, or the error Connect answers for the same body. */
function requestMessage(body: Buffer, target: UnaryMethod, o: GrpcUnaryFrontOptions): MessageShape<DescMessage> | ConnectError {
  if (body.length === 0) return new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (body.length < 5) return new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (body.length > 5 + length) return new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  const rejected = (reason: string): ConnectError => {
    const error = refuseMessage(reason);
    o.onRejected(target.path, error.message);
    return error;
  };
  if ((body[0]! & 1) === 1) return rejected("compressed message without a message encoding");
  try {
    return fromBinary(target.method.input, body.subarray(5));
  } catch {
    return rejected("not a valid protobuf encoding of the request type");
  }
}

/** Runs the interceptors and the handler, then answers. */
async function call(req: Http2ServerRequest, res: Http2ServerResponse, target: UnaryMethod, message: MessageShape<DescMessage>, timeoutMs: number | undefined, o: GrpcUnaryFrontOptions): Promise<void> {
  const responseHeader = new Headers();
  const responseTrailer = new Headers();
  const signal = timeoutMs === undefined ? o.shutdownSignal : AbortSignal.any([o.shutdownSignal, AbortSignal.timeout(timeoutMs)]);
  let reply: Uint8Array;
  try {
    const output = await invokeUnary(
      target,
      {
        url: req.url,
        header: webHeaders(req.headers),
        message,
        contextValues: o.contextValues(req),
        signal,
        deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
        protocolName: "grpc",
        responseHeader,
        responseTrailer,
      },
      o.interceptors,
    );
    reply = toBinary(target.method.output, output);
  } catch (e) {
    return answerError(res, e, responseHeader, responseTrailer);
  }
  const frame = Buffer.allocUnsafe(5 + reply.length);
  frame[0] = 0;
  frame.writeUInt32BE(reply.length, 1);
  frame.set(reply, 5);
  responseTrailer.set("grpc-status", "0");
  answer(res, responseHeader, responseTrailer, frame);
}

/** A gRPC error answer: Connect's trailer encoding (status, message, details, the error's metadata). */
function answerError(res: Http2ServerResponse, e: unknown, responseHeader: Headers, responseTrailer: Headers): void {
  const error = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
  answer(res, responseHeader, setTrailerStatus(responseTrailer, error), undefined);
}

function answer(res: Http2ServerResponse, header: Headers, trailer: Headers, frame: Buffer | undefined): void {
  // The client reset the stream or went away: nobody to answer.
  if (res.stream.destroyed || res.stream.closed) return;
  const head: OutgoingHttpHeaders = { "content-type": CONTENT_TYPE };
  header.forEach((value, key) => (head[key] = value));
  const trailers: OutgoingHttpHeaders = {};
  trailer.forEach((value, key) => (trailers[key] = value));
  res.writeHead(200, head);
  res.addTrailers(trailers);
  if (frame === undefined) res.end();
  else res.end(frame);
}

/** The request headers as Connect's node adapter presents them (pseudo-headers left out). */
function webHeaders(raw: IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const key in raw) {
    if (key.charCodeAt(0) === 0x3a) continue;
    const value = raw[key];
    if (typeof value === "string") header.append(key, value);
    else if (value !== undefined) for (const v of value) header.append(key, v);
  }
  return header;
}
