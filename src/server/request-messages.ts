/**
 * Request messages are checked before Connect parses them: a message that is not valid protobuf (or a compressed
 * message that does not decompress) fails as INVALID_ARGUMENT and is reported, where Connect itself answers
 * INTERNAL ("parse binary") before any interceptor runs, so nothing would count or log it.
 */
import { fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { brotliDecompressSync, gunzipSync } from "node:zlib";

/** Called once per refused request, before the error is answered (metrics and logs). */
export type OnRejectedMessage = (method: string, reason: string) => void;

const ENVELOPED = /^application\/(grpc|grpc-web|connect)(\+proto)?(;|$)/;
const UNARY_BINARY = /^application\/proto(;|$)/;
const UNARY_JSON = /^application\/json(;|$)/;

/** The INVALID_ARGUMENT answer to a request message that fails the check (also used by the gRPC fast path). */
export function refuseMessage(description: string): ConnectError {
  return new ConnectError(`invalid request message: ${description}`, Code.InvalidArgument);
}

function decompress(data: Uint8Array, encoding: string | null, readMaxBytes: number): Uint8Array | undefined {
  try {
    if (encoding === "gzip") return gunzipSync(data, { maxOutputLength: readMaxBytes });
    if (encoding === "br") return brotliDecompressSync(data, { maxOutputLength: readMaxBytes });
  } catch {
    throw refuseMessage("compressed message does not decompress");
  }
  return undefined; // an encoding Connect does not accept: its own negotiation answers
}

/**
 * The check of one message's bytes: decompressed if flagged, then parsed as the method's input type (JSON bodies
 * only decompressed: Connect answers their parse errors itself).
 */
function messageCheck(input: DescMessage | undefined, encoding: string | null, readMaxBytes: number): (data: Uint8Array, compressed: boolean) => void {
  return (data, compressed) => {
    let bytes: Uint8Array | undefined = data;
    if (compressed) {
      if (encoding === null || encoding === "identity") throw refuseMessage("compressed message without a message encoding");
      bytes = decompress(data, encoding, readMaxBytes);
      if (bytes === undefined) return;
    }
    if (input === undefined) return;
    try {
      fromBinary(input, bytes);
    } catch {
      throw refuseMessage("not a valid protobuf encoding of the request type");
    }
  };
}

/** Passes the enveloped stream through, checking each complete envelope (5-byte prefix: flags, length). */
async function* checkEnvelopes(body: AsyncIterable<Uint8Array>, check: (data: Uint8Array, compressed: boolean) => void, readMaxBytes: number): AsyncIterable<Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  let checking = true;
  for await (const chunk of body) {
    if (checking) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const length = Buffer.from(pending.buffer, pending.byteOffset, pending.length).readUInt32BE(1);
        // Oversized: Connect's own limit answers it; stop looking.
        if (length > readMaxBytes) checking = false;
        if (!checking || pending.length < 5 + length) break;
        check(pending.subarray(5, 5 + length), (pending[0]! & 1) === 1);
        pending = pending.subarray(5 + length);
      }
    }
    yield chunk;
  }
}

/** Passes a whole unary body through once it is checked (bodies over readMaxBytes go to Connect's own limit). */
async function* checkWhole(body: AsyncIterable<Uint8Array>, check: (data: Uint8Array, compressed: boolean) => void, compressed: boolean, readMaxBytes: number): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const it = body[Symbol.asyncIterator]();
  for (let next = await it.next(); next.done !== true; next = await it.next()) {
    chunks.push(next.value);
    size += next.value.length;
    if (size > readMaxBytes) {
      yield* chunks;
      for (let rest = await it.next(); rest.done !== true; rest = await it.next()) yield rest.value;
      return;
    }
  }
  const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (whole.length > 0) check(whole, compressed);
  yield whole;
}

function isByteStream(body: UniversalServerRequest["body"]): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

function checkedHandler(handler: UniversalHandler, readMaxBytes: number, onRejected: OnRejectedMessage): UniversalHandler {
  const method = `/${handler.service.typeName}/${handler.method.name}`;
  const wrapped = (req: UniversalServerRequest) => {
    const type = req.header.get("content-type") ?? "";
    if (!isByteStream(req.body)) return handler(req);
    const enveloped = ENVELOPED.test(type);
    const json = UNARY_JSON.test(type);
    if (!enveloped && !json && !UNARY_BINARY.test(type)) return handler(req);
    const encoding = enveloped
      ? (req.header.get("grpc-encoding") ?? req.header.get("connect-content-encoding"))
      : req.header.get("content-encoding");
    const compressed = encoding !== null && encoding !== "identity";
    if (json && !compressed) return handler(req);
    const check = messageCheck(json ? undefined : handler.method.input, encoding, readMaxBytes);
    const reporting = (data: Uint8Array, compressed: boolean): void => {
      try {
        check(data, compressed);
      } catch (e) {
        onRejected(method, e instanceof Error ? e.message : String(e));
        throw e;
      }
    };
    const body = enveloped ? checkEnvelopes(req.body, reporting, readMaxBytes) : checkWhole(req.body, reporting, compressed, readMaxBytes);
    return handler({ ...req, body });
  };
  return Object.assign(wrapped, handler);
}

/** Wraps every handler the routes registered (call it last in a routes function). */
export function checkRequestMessages(router: ConnectRouter, readMaxBytes: number, onRejected: OnRejectedMessage): void {
  for (let i = 0; i < router.handlers.length; i++) {
    router.handlers[i] = checkedHandler(router.handlers[i]!, readMaxBytes, onRejected);
  }
}
