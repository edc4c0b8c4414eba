/**
 * GET /.well-known/jwks.json on the browser and sidecar listeners: public caching for the documented window
 * (docs/issuer-rotation.md), a strong ETag of the exact body, and 304 Not Modified on a matching If-None-Match.
 */
import { createHash } from "node:crypto";
import { JWKS_MAX_AGE_SECONDS } from "../domain/credentials/index.js";
import type { Logger } from "../telemetry/logger.js";
import { writeHead, type AnyRequest, type AnyResponse } from "./http-types.js";

export const JWKS_PATH = "/.well-known/jwks.json";

/** The Cache-Control of every JWKS answer (200 and 304). */
export const JWKS_CACHE_CONTROL = `public, max-age=${JWKS_MAX_AGE_SECONDS}`;

/** A strong ETag: the quoted base64url SHA-256 of the body. */
export function jwksEtag(body: string): string {
  return `"${createHash("sha256").update(body).digest("base64url")}"`;
}

/** RFC 9110 If-None-Match: "*" or any listed tag equal to `etag` under weak comparison (W/ ignored). */
export function ifNoneMatchHits(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const tags = (Array.isArray(header) ? header.join(",") : header).split(",").map((t) => t.trim());
  return tags.some((t) => t === "*" || t.replace(/^W\//, "") === etag);
}

/** Answers the JWKS (200 with the body, or 304 without one); 503 when the key set cannot be read. */
export async function serveJwks(req: AnyRequest, res: AnyResponse, jwks: () => Promise<object>, logger: Logger): Promise<void> {
  let body: string;
  try {
    body = JSON.stringify(await jwks());
  } catch (e) {
    logger.error({ err: e }, "jwks unavailable");
    writeHead(res, 503, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify({ error: "jwks unavailable" }));
    return;
  }
  const etag = jwksEtag(body);
  const cache = { "cache-control": JWKS_CACHE_CONTROL, etag };
  if (ifNoneMatchHits(req.headers["if-none-match"], etag)) {
    writeHead(res, 304, cache);
    res.end();
    return;
  }
  writeHead(res, 200, { "content-type": "application/json", ...cache });
  res.end(body);
}
