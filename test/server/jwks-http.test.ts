// The JWKS HTTP answer: exact cache headers, a strong ETag of the exact body, 304 on a matching If-None-Match, 503.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AnyResponse } from "../../src/server/http-types.js";
import { ifNoneMatchHits, jwksEtag, serveJwks } from "../../src/server/jwks-http.js";

interface Written {
  status?: number;
  headers?: Record<string, unknown>;
  body?: string;
}

/** A response double recording the one head and body serveJwks writes. */
function recorder(): { res: AnyResponse; written: Written } {
  const written: Written = {};
  const res = {
    writeHead(status: number, headers: Record<string, unknown>) {
      written.status = status;
      written.headers = headers;
    },
    end(body?: string) {
      written.body = body ?? "";
    },
  };
  return { res: res as unknown as AnyResponse, written };
}

const request = (headers: Record<string, string> = {}): IncomingMessage => ({ headers }) as unknown as IncomingMessage;
const doc = { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", kid: "k1", alg: "ES256", use: "sig" }] };
const body = JSON.stringify(doc);
const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
const silent = pino({ level: "silent" });

describe("serveJwks", () => {
  it("answers 200 with the body, Cache-Control public max-age=300 and a strong ETag of the body", async () => {
    const { res, written } = recorder();
    await serveJwks(request(), res, async () => doc, silent);
    expect(written).toEqual({
      status: 200,
      headers: { "content-type": "application/json", "cache-control": "public, max-age=300", etag },
      body,
    });
    expect(jwksEtag(body)).toBe(etag);
  });

  it.each([etag, `W/${etag}`, `"other", ${etag}`, "*"])("answers 304 without a body to If-None-Match: %s", async (ifNoneMatch) => {
    const { res, written } = recorder();
    await serveJwks(request({ "if-none-match": ifNoneMatch }), res, async () => doc, silent);
    expect(written).toEqual({ status: 304, headers: { "cache-control": "public, max-age=300", etag }, body: "" });
  });

  it("answers 200 to an If-None-Match naming another version", async () => {
    const { res, written } = recorder();
    await serveJwks(request({ "if-none-match": '"stale"' }), res, async () => doc, silent);
    expect(written.status).toBe(200);
    expect(ifNoneMatchHits(undefined, etag)).toBe(false);
  });

  it("answers 503, not cacheable, when the key set cannot be read", async () => {
    const { res, written } = recorder();
    await serveJwks(request(), res, () => Promise.reject(new Error("db down")), silent);
    expect(written.status).toBe(503);
    expect(written.headers).toMatchObject({ "cache-control": "no-store" });
  });
});
