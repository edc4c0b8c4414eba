/**
 * Lets a stream front (http-types.ts StreamFront) serve some HTTP/2 streams on node's core API, ahead of the compat
 * layer (Http2ServerRequest/Http2ServerResponse) that serves every other stream.
 *
 * Node wires the compat layer as a listener of the server's `stream` event, added when the server gets its
 * `request` listener (node's setupCompat: createSecureServer(options, handler) adds it at once); that listener
 * builds the request and response objects and emits `request` (or `checkContinue`, `connect`...). Here the
 * server's `stream` listeners are taken off and one dispatcher put in their place: a stream the front takes is
 * served by it (counted and guarded by the tracker as a request would be); any other stream is given to the
 * listeners taken off, with the event's own arguments, so it meets exactly what it met before. HTTP/1.1 requests
 * (allowHTTP1) never make a `stream` event: they reach the `request` listener as before. (A second `stream` listener
 * beside the compat one would not do: every listener sees every stream, so both would answer the front's streams.)
 */
import type { Http2SecureServer, Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { ConnectionTracker } from "./connection-tracker.js";
import type { StreamFront } from "./http-types.js";

type StreamListener = (...args: unknown[]) => void;

/** Installs `front` ahead of the compat layer on `server`, which must already have its request listener. */
export function serveStreamsFirst(server: Http2Server | Http2SecureServer, front: StreamFront, tracker: ConnectionTracker): void {
  const compat = server.listeners("stream") as StreamListener[];
  if (compat.length === 0) throw new Error("serveStreamsFirst: the server has no stream listener (no request listener given)");
  server.removeAllListeners("stream");
  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
    const serve = front(headers);
    if (serve === undefined) {
      for (const listener of compat) listener.call(server, stream, headers, flags, rawHeaders);
      return;
    }
    // Reset before its headers were dispatched: nothing to answer, and its close is already on its way.
    if (stream.destroyed) return;
    tracker.serveStream(stream, headers, serve);
  });
}
