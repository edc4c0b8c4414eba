/** Plain HTTP endpoints: /healthz, /readyz, /metrics and /.well-known/jwks.json (sidecar and browser listeners). */
import type { Logger } from "../telemetry/logger.js";
import type { HealthView } from "./health-registry.js";
import { writeHead, type AnyRequest, type AnyResponse } from "./http-types.js";
import { JWKS_PATH, serveJwks } from "./jwks-http.js";

/** Where /metrics text comes from: this process's registry, or the cluster primary's merge of its workers'. */
export interface MetricsSource {
  readonly registry: { readonly contentType: string; metrics(): Promise<string> };
}

export interface HttpEndpointOptions {
  readonly health: HealthView;
  readonly metrics: MetricsSource;
  readonly logger: Logger;
  /** The issuer's public JWKS; the path answers 404 without it. */
  readonly jwks: (() => Promise<object>) | undefined;
}

function send(res: AnyResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  writeHead(res, status, { "content-type": contentType, "cache-control": "no-store", ...extra });
  res.end(body);
}

function sendJson(res: AnyResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(res, status, "application/json", JSON.stringify(body), extra);
}

/**
 * Answers the sidecar's GET endpoints. Returns false when the request is not one of them (the caller passes it
 * on, e.g. to the gRPC health handler).
 */
export function sidecarEndpoint(options: HttpEndpointOptions): (req: AnyRequest, res: AnyResponse) => boolean {
  const { health, metrics, logger, jwks } = options;
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const known = path === "/healthz" || path === "/readyz" || path === "/metrics" || path === JWKS_PATH;
    if (!known) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "method not allowed" }, { allow: "GET, HEAD" });
      return true;
    }
    switch (path) {
      case "/healthz":
        sendJson(res, 200, { ok: true });
        return true;
      case "/readyz": {
        const readiness = health.readiness();
        const notices = Object.keys(readiness.notices).length === 0 ? {} : { notices: readiness.notices };
        if (readiness.ok && Object.keys(readiness.degraded).length === 0) sendJson(res, 200, { ok: true, ...notices });
        else if (readiness.ok) sendJson(res, 200, { ok: true, degraded: readiness.degraded, ...notices });
        else sendJson(res, 503, { ok: false, checks: readiness.checks, ...notices });
        return true;
      }
      case "/metrics":
        metrics.registry.metrics().then(
          (text) => send(res, 200, metrics.registry.contentType, text),
          (e: unknown) => {
            logger.error({ err: e }, "metrics collection failed");
            sendJson(res, 500, { error: "metrics collection failed" });
          },
        );
        return true;
      default:
        if (jwks === undefined) sendJson(res, 404, { error: "not found" });
        else void serveJwks(req, res, jwks, logger);
        return true;
    }
  };
}
