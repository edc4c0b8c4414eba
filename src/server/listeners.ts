/** The three listeners: mTLS gRPC/Connect (HTTP/2 + HTTP/1.1), the browser TLS port (CORS), the h2c/HTTP sidecar. */
import { createServer as createHttpServer } from "node:http";
import { createSecureServer, createServer as createH2cServer } from "node:http2";
import type { Http2SecureServer } from "node:http2";
import type { AddressInfo, Server as NetServer } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ConnectionLimits } from "./connection-guard.js";
import type { Logger } from "../telemetry/logger.js";
import type { ConnectionTracker, NodeHandler } from "./connection-tracker.js";
import { sidecarEndpoint } from "./http-endpoints.js";
import type { HttpEndpointOptions } from "./http-endpoints.js";
import { createSniffingServer } from "./h2c-sniffer.js";
import type { StreamFront } from "./http-types.js";
import { serveStreamsFirst } from "./stream-front.js";

/** PEM material of a TLS listener. */
export interface TlsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Client CA bundle (mTLS listener only). */
  readonly ca?: string | Buffer;
}

/** The limits node:http2 enforces itself: the TLS handshake deadline and SETTINGS_MAX_CONCURRENT_STREAMS. */
function http2Limits(limits: ConnectionLimits): { handshakeTimeout: number; settings: { maxConcurrentStreams: number } } {
  return { handshakeTimeout: limits.handshakeTimeoutMs, settings: { maxConcurrentStreams: limits.maxConcurrentStreams } };
}

/**
 * The mTLS listener: client certificates required and verified against the client CA, TLS 1.2 minimum, HTTP/2
 * with HTTP/1.1 allowed (gRPC-Web and Connect from HTTP/1.1 clients). A certificate that verifies but names no
 * usable identity is refused per request with UNAUTHENTICATED by the authorization interceptor. `streamFront` (the
 * gRPC unary fast path) serves the HTTP/2 streams it takes on node's core API; `handler` serves everything else.
 */
export function createMtlsListener(
  tls: TlsMaterial,
  handler: NodeHandler,
  tracker: ConnectionTracker,
  logger: Logger,
  streamFront: StreamFront | undefined,
): Http2SecureServer {
  if (tls.ca === undefined) throw new Error("the mtls listener needs a client ca");
  const server = createSecureServer(
    { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2", allowHTTP1: true, ...http2Limits(tracker.limits) },
    tracker.wrap(handler),
  );
  if (streamFront !== undefined) serveStreamsFirst(server, streamFront, tracker);
  tracker.trackServer(server, "secureConnection");
  server.on("session", (session) => tracker.trackSession(session));
  server.on("tlsClientError", (err: Error, socket: TLSSocket) => {
    logger.info({ remote: socket.remoteAddress, reason: err.message }, "tls handshake refused");
  });
  return server;
}

/** The browser listener: TLS without client certificates; `handler` is the browser front (browser-http.ts). */
export function createBrowserListener(tls: TlsMaterial, handler: NodeHandler, tracker: ConnectionTracker): Http2SecureServer {
  const server = createSecureServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2", allowHTTP1: true, ...http2Limits(tracker.limits) }, tracker.wrap(handler));
  tracker.trackServer(server, "secureConnection");
  server.on("session", (session) => tracker.trackSession(session));
  return server;
}

/**
 * The sidecar: plain HTTP/1.1 and h2c on one port. GET /healthz, /readyz, /metrics, /.well-known/jwks.json, and
 * whatever `grpcHandler` serves (grpc.health.v1) for everything else.
 */
export function createSidecarListener(grpcHandler: NodeHandler, tracker: ConnectionTracker, endpoints: HttpEndpointOptions): NetServer {
  const endpoint = sidecarEndpoint(endpoints);
  const handler = tracker.wrap<NodeHandler>((req, res) => {
    if (!endpoint(req, res)) grpcHandler(req, res);
  });
  const http1 = createHttpServer(handler);
  http1.headersTimeout = tracker.limits.headersTimeoutMs;
  http1.requestTimeout = Math.max(tracker.limits.requestTimeoutMs, tracker.limits.headersTimeoutMs);
  const h2c = createH2cServer({ settings: { maxConcurrentStreams: tracker.limits.maxConcurrentStreams } }, handler);
  h2c.on("session", (session) => tracker.trackSession(session));
  const server = createSniffingServer(http1, h2c, (socket) => tracker.markHttp2(socket));
  tracker.trackServer(server, "connection");
  return server;
}

/** Starts `server` listening on host:port; resolves with the port bound (the one chosen when `port` is 0). */
export function listenOn(server: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
