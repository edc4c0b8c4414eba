/** The three listeners: mTLS gRPC/Connect (HTTP/2 + HTTP/1.1), the browser TLS port (CORS), the h2c/HTTP sidecar. */
import { createServer as createHttpServer } from "node:http";
import { createSecureServer, createServer as createH2cServer } from "node:http2";
import type { Http2SecureServer } from "node:http2";
import type { Server as NetServer } from "node:net";
import type { TLSSocket } from "node:tls";
import { cors } from "@connectrpc/connect";
import type { Logger } from "../telemetry/logger.js";
import type { ConnectionTracker, NodeHandler } from "./connection-tracker.js";
import { sidecarEndpoint } from "./http-endpoints.js";
import type { HttpEndpointOptions } from "./http-endpoints.js";
import { createSniffingServer } from "./h2c-sniffer.js";
import { writeHead } from "./http-types.js";
import { JWKS_PATH, serveJwks } from "./jwks-http.js";
import { REQUEST_ID_HEADER } from "./interceptors/request-id.js";

/** PEM material of a TLS listener. */
export interface TlsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Client CA bundle (mTLS listener only). */
  readonly ca?: string | Buffer;
}

/**
 * The mTLS listener: client certificates required and verified against the client CA, TLS 1.2 minimum, HTTP/2
 * with HTTP/1.1 allowed (gRPC-Web and Connect from HTTP/1.1 clients). A certificate that verifies but names no
 * usable identity is refused per request with UNAUTHENTICATED by the authorization interceptor.
 */
export function createMtlsListener(tls: TlsMaterial, handler: NodeHandler, tracker: ConnectionTracker, logger: Logger): Http2SecureServer {
  if (tls.ca === undefined) throw new Error("the mtls listener needs a client ca");
  const server = createSecureServer(
    { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2", allowHTTP1: true },
    tracker.wrap(handler),
  );
  tracker.trackServer(server, "secureConnection");
  server.on("session", (session) => tracker.trackSession(session));
  server.on("tlsClientError", (err: Error, socket: TLSSocket) => {
    logger.info({ remote: socket.remoteAddress, reason: err.message }, "tls handshake refused");
  });
  return server;
}

/** The browser listener: TLS without client certificates, CORS for the allowed origins, the JWKS. */
export function createBrowserListener(
  tls: TlsMaterial,
  handler: NodeHandler,
  tracker: ConnectionTracker,
  allowedOrigins: readonly string[],
  endpoints: HttpEndpointOptions,
): Http2SecureServer {
  const origins = new Set(allowedOrigins);
  const allowHeaders = [...cors.allowedHeaders, "authorization", "x-admin-api-key", REQUEST_ID_HEADER].join(", ");
  const exposeHeaders = [...cors.exposedHeaders, REQUEST_ID_HEADER, "retry-after"].join(", ");
  const browserHandler: NodeHandler = (req, res) => {
    const origin = req.headers.origin;
    if (typeof origin === "string" && origins.has(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-expose-headers", exposeHeaders);
      if (req.method === "OPTIONS") {
        writeHead(res, 204, {
          "access-control-allow-methods": cors.allowedMethods.join(", "),
          "access-control-allow-headers": allowHeaders,
          "access-control-max-age": "7200",
        });
        res.end();
        return;
      }
    } else if (req.method === "OPTIONS") {
      writeHead(res, 403);
      res.end();
      return;
    }
    if ((req.url ?? "").split("?")[0] === JWKS_PATH && req.method === "GET" && endpoints.jwks !== undefined) {
      void serveJwks(req, res, endpoints.jwks, endpoints.logger);
      return;
    }
    handler(req, res);
  };
  const server = createSecureServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2", allowHTTP1: true }, tracker.wrap(browserHandler));
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
  const h2c = createH2cServer(handler);
  h2c.on("session", (session) => tracker.trackSession(session));
  const server = createSniffingServer(http1, h2c, (socket) => tracker.markHttp2(socket));
  tracker.trackServer(server, "connection");
  return server;
}
