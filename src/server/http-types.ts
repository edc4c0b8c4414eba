/**
 * The request and response types shared by node:http and node:http2 handlers, one way to write a head on either,
 * and what serves an HTTP/2 stream on node's core API instead (stream-front.ts).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** Serves one HTTP/2 stream on the core API: reads its body and answers it. */
export type StreamServe = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;
/** Picks, from a stream's headers, what serves it on the core API; undefined leaves the stream to the compat layer. */
export type StreamFront = (headers: IncomingHttpHeaders) => StreamServe | undefined;

/** The part of writeHead both response types share (the union's overloads are not callable as one). */
interface HeadWriter {
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown;
}

export function writeHead(res: AnyResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  const writer: HeadWriter = res;
  writer.writeHead(status, headers);
}
