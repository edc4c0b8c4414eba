/** The request and response types shared by node:http and node:http2 handlers, and one way to write a head on either. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** The part of writeHead both response types share (the union's overloads are not callable as one). */
interface HeadWriter {
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown;
}

export function writeHead(res: AnyResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  const writer: HeadWriter = res;
  writer.writeHead(status, headers);
}
