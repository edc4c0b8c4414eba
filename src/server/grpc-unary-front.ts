/**
 * The gRPC unary fast path of the mTLS listener: unary gRPC calls over HTTP/2 (uncompressed protobuf) are read off
 * node's core stream API (no Http2ServerRequest/Http2ServerResponse), run through the unary invoker (the same
 * interceptors and handlers as Connect) and answered with respond + trailers, without Connect's per-request stream
 * pipeline, header copies and abort signals. It is a stream front (stream-front.ts): every other stream (streams,
 * gRPC-Web, the Connect protocol, compressed or JSON messages, malformed timeouts, `expect` headers) goes to the
 * compat layer and Connect unchanged; the tracker counts its streams in flight and bounds their bodies.
 */
import { constants as http2Constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type Interceptor } from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { ConnectionContextValues } from "./context.js";
import type { StreamFront } from "./http-types.js";
import { streamRequestHeaders } from "./request-headers.js";
import { refuseMessage, type OnRejectedMessage } from "./request-messages.js";
import { MAX_DEADLINE_MS } from "./router.js";
import { invokeUnary, type UnaryMethod } from "./unary-invoker.js";

export interface GrpcUnaryFrontOptions {
  /** The unary methods served here, by path (recordingUnaryMethods). */
  readonly methods: ReadonlyMap<string, UnaryMethod>;
  /** The listener's interceptor chain, outermost first (the one Connect runs). */
  readonly interceptors: readonly Interceptor[];
  /** The context values of a call from its connection's socket (the ones Connect's requests get). */
  readonly contextValues: ConnectionContextValues;
  readonly readMaxBytes: number;
  /** Aborted when shutdown cancels the calls in flight; the handlers' signal for calls without a deadline. */
  readonly shutdownSignal: AbortSignal;
  /** Told about request messages that are not valid protobuf (as the request-message check does for Connect). */
  readonly onRejected: OnRejectedMessage;
  /**
   * Told when an answer could not be written (say, a response header node refuses to send); the stream is then
   * reset with INTERNAL_ERROR instead of the failure escaping as an unhandled rejection, which would end the process.
   */
  readonly onAnswerFailed: (path: string, error: unknown) => void;
}

const CONTENT_TYPE = "application/grpc+proto";

/**
 * The method a stream is for when the fast path serves it: POST, gRPC protobuf, no compression, no `expect` (the
 * compat layer answers expectations), a unary method Connect registered.
 */
function fastPathMethod(headers: IncomingHttpHeaders, methods: ReadonlyMap<string, UnaryMethod>): UnaryMethod | undefined {
  if (headers[":method"] !== "POST" || headers.expect !== undefined) return undefined;
  const type = headers["content-type"];
  if (type !== "application/grpc" && type !== CONTENT_TYPE) return undefined;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return undefined;
  return methods.get(headers[":path"] ?? "");
}

/** The stream front serving unary gRPC calls; every other stream is left to the compat layer (and Connect). */
export function grpcUnaryFront(options: GrpcUnaryFrontOptions): StreamFront {
  return (headers) => {
    const target = fastPathMethod(headers, options.methods);
    if (target === undefined) return undefined;
    const timeoutHeader = headers["grpc-timeout"];
    const timeout = parseTimeout(typeof timeoutHeader === "string" ? timeoutHeader : timeoutHeader === undefined ? null : "", MAX_DEADLINE_MS);
    // An unreadable timeout: Connect answers it.
    if (timeout.error !== undefined) return undefined;
    return (stream) => readBody(stream, headers, target, timeout.timeoutMs, options);
  };
}

/**
 * Collects the request body; an envelope announcing more than readMaxBytes is refused as soon as its prefix arrives.
 * The context values are taken now, while the stream surely has its session (a reset later takes it away).
 */
function readBody(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, target: UnaryMethod, timeoutMs: number | undefined, o: GrpcUnaryFrontOptions): void {
  const contextValues = o.contextValues(stream.session?.socket);
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  let prefixChecked = false;
  // A client's reset (or a broken session) ends the stream with an error and a close: the close releases the
  // tracker's count and the answer is skipped; there is nobody to tell (the compat layer ignores these as well).
  stream.on("error", () => undefined);
  stream.on("data", (chunk: Buffer) => {
    if (refused) return;
    chunks.push(chunk);
    size += chunk.length;
    if (!prefixChecked && size >= 5) {
      prefixChecked = true;
      const length = (chunks.length === 1 ? chunk : Buffer.concat(chunks)).readUInt32BE(1);
      if (length > o.readMaxBytes) {
        refused = true;
        const error = new ConnectError(`message size ${length} is larger than configured readMaxBytes ${o.readMaxBytes}`, Code.ResourceExhausted);
        answerError(stream, error, new Headers(), new Headers());
      }
    }
  });
  stream.on("end", () => {
    if (refused) return;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    const message = requestMessage(body, target, o);
    if (message instanceof ConnectError) return answerError(stream, message, new Headers(), new Headers());
    call(stream, headers, contextValues, target, message, timeoutMs, o).catch((e: unknown) => {
      o.onAnswerFailed(target.path, e);
      if (!stream.destroyed) stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
    });
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
async function call(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  contextValues: ContextValues,
  target: UnaryMethod,
  message: MessageShape<DescMessage>,
  timeoutMs: number | undefined,
  o: GrpcUnaryFrontOptions,
): Promise<void> {
  const responseHeader = new Headers();
  const responseTrailer = new Headers();
  const signal = timeoutMs === undefined ? o.shutdownSignal : AbortSignal.any([o.shutdownSignal, AbortSignal.timeout(timeoutMs)]);
  let reply: Uint8Array;
  try {
    const output = await invokeUnary(
      target,
      {
        url: headers[":path"] ?? "",
        header: streamRequestHeaders(headers),
        message,
        contextValues,
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
    return answerError(stream, e, responseHeader, responseTrailer);
  }
  const frame = Buffer.allocUnsafe(5 + reply.length);
  frame[0] = 0;
  frame.writeUInt32BE(reply.length, 1);
  frame.set(reply, 5);
  responseTrailer.set("grpc-status", "0");
  answer(stream, responseHeader, responseTrailer, frame);
}

/** A gRPC error answer: Connect's trailer encoding (status, message, details, the error's metadata). */
function answerError(stream: ServerHttp2Stream, e: unknown, responseHeader: Headers, responseTrailer: Headers): void {
  const error = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
  answer(stream, responseHeader, setTrailerStatus(responseTrailer, error), undefined);
}

/** HTTP 200, the headers, the message frame (none for an error), the trailers: what the compat layer would send. */
function answer(stream: ServerHttp2Stream, header: Headers, trailer: Headers, frame: Buffer | undefined): void {
  // The client reset the stream or went away: nobody to answer.
  if (stream.destroyed || stream.closed) return;
  const head: OutgoingHttpHeaders = { "content-type": CONTENT_TYPE };
  header.forEach((value, key) => (head[key] = value));
  head[":status"] = 200;
  const trailers: OutgoingHttpHeaders = {};
  trailer.forEach((value, key) => (trailers[key] = value));
  stream.respond(head, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(trailers));
  if (frame === undefined) stream.end();
  else stream.end(frame);
}
