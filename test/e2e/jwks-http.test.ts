// /.well-known/jwks.json over the wire on both listeners that serve it (sidecar, browser): exact cache headers,
// a strong ETag of the body, 304 on If-None-Match, and the same keys as GetJwks.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets } from "../support/databases.js";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ database: databaseTargets()[0]! });
});
afterAll(async () => {
  await t?.close();
});

async function sidecar(headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`, { headers });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

function browser(headers: Record<string, string>): Promise<Answer> {
  const ca = readFileSync(t.material.caCertFile);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", servername: "localhost", port: t.app.server.browserPort, path: "/.well-known/jwks.json", ca, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe.each([
  { name: "sidecar", get: sidecar },
  { name: "browser", get: browser },
])("/.well-known/jwks.json on the $name listener", ({ get }) => {
  it("serves the GetJwks keys with Cache-Control public, max-age=300 and a strong ETag of the body", async () => {
    const res = await get({});
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("public, max-age=300");
    expect(res.headers.etag).toBe(`"${createHash("sha256").update(res.body).digest("base64url")}"`);
    expect(res.body).toBe((await t.verifier().getJwks({})).jwksJson);
  });

  it("answers 304 without a body to the current ETag, and 200 to a stale one", async () => {
    const first = await get({});
    const etag = String(first.headers.etag);
    for (const ifNoneMatch of [etag, `W/${etag}`]) {
      const again = await get({ "if-none-match": ifNoneMatch });
      expect(again.status).toBe(304);
      expect(again.body).toBe("");
      expect(again.headers.etag).toBe(etag);
      expect(again.headers["cache-control"]).toBe("public, max-age=300");
    }
    expect((await get({ "if-none-match": '"stale"' })).status).toBe(200);
  });
});
