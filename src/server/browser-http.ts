/**
 * The browser listener's HTTP front: the CORS allow-list (preflights answered here), the console's static files,
 * the JWKS, and everything else on to the Connect handler.
 */
import { cors } from "@connectrpc/connect";
import { ADMIN_API_KEY_HEADER } from "../api/admin-service.js";
import type { NodeHandler } from "./connection-tracker.js";
import type { ConsoleAssets } from "./console-assets.js";
import { JWKS_PATH, serveJwks } from "./jwks-http.js";
import type { HttpEndpointOptions } from "./http-endpoints.js";
import { writeHead } from "./http-types.js";
import { ERROR_CODE_HEADER } from "./interceptors/error-mapping.js";
import { REQUEST_ID_HEADER } from "./interceptors/request-id.js";

/** Exactly what a page may read from our responses: the error code, the rate-limit hint, the gRPC-Web status. */
export const CORS_EXPOSED_HEADERS: readonly string[] = [ERROR_CODE_HEADER, "retry-after", "grpc-status", "grpc-message"];

/** What a page may send: the Connect/gRPC-Web protocol headers, the request id, and the admin credentials when on. */
export function corsAllowedHeaders(admin: boolean): readonly string[] {
  return [...cors.allowedHeaders.map((h) => h.toLowerCase()), REQUEST_ID_HEADER, ...(admin ? ["authorization", ADMIN_API_KEY_HEADER] : [])];
}

export interface BrowserHttpOptions {
  readonly allowedOrigins: readonly string[];
  /** BROWSER_ADMIN: admin headers allowed, the console served. */
  readonly admin: boolean;
  readonly endpoints: HttpEndpointOptions;
  readonly console: ConsoleAssets;
}

/**
 * A request from an allowed origin gets Access-Control-Allow-Origin (never "*"), Vary and the exposed headers; its
 * preflight gets 204 with the allowed methods and headers. A preflight from any other origin gets 403 with no
 * CORS headers, and its actual requests none either, so the browser withholds our answers from that page.
 */
export function browserHttpHandler(rpc: NodeHandler, options: BrowserHttpOptions): NodeHandler {
  const origins = new Set(options.allowedOrigins);
  const allowHeaders = corsAllowedHeaders(options.admin).join(", ");
  const exposeHeaders = CORS_EXPOSED_HEADERS.join(", ");
  const { endpoints } = options;
  return (req, res) => {
    const origin = req.headers.origin;
    res.setHeader("vary", "origin");
    if (typeof origin === "string" && origins.has(origin)) {
      res.setHeader("access-control-allow-origin", origin);
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
      writeHead(res, 403, { [ERROR_CODE_HEADER]: "cors.origin_not_allowed" });
      res.end();
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === JWKS_PATH && req.method === "GET" && endpoints.jwks !== undefined) {
      void serveJwks(req, res, endpoints.jwks, endpoints.logger);
      return;
    }
    if (options.admin && options.console.serve(req, res)) return;
    rpc(req, res);
  };
}
