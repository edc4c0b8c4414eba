/**
 * CORS as a browser enforces it (headless Chromium): a page on an allowed origin reads the answer and its
 * x-error-code / retry-after headers cross-origin; a page on another origin gets nothing.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets } from "../support/databases.js";
import { browserTestsRun, CHROMIUM_PATH, launchChromium, type Browser } from "./browser-support.js";

const run = browserTestsRun();

/** What a page's fetch to the browser port sees: status and readable headers, or the CORS failure. */
type Seen = { status: number; errorCode: string | null; exposed: string | null } | { failed: string };

function fetchFrom(page: Page, url: string, init: { headers: Record<string, string> }): Promise<Seen> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const res = await fetch(url, { method: "POST", body: "{}", headers: init.headers });
        return { status: res.status, errorCode: res.headers.get("x-error-code"), exposed: res.headers.get("grpc-status") };
      } catch (e) {
        return { failed: String(e) };
      }
    },
    { url, init },
  );
}

describe.skipIf(!run)(`CORS in headless Chromium (${CHROMIUM_PATH})`, () => {
  let pages: Server;
  let port: number;
  let t: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    pages = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>a relying party's page</title>");
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    port = (pages.address() as AddressInfo).port;
    // http://127.0.0.1:<port> is allowed; http://localhost:<port> (the same server) is another origin.
    t = await startTestApp({ database: databaseTargets()[0]!, env: { CORS_ALLOWED_ORIGINS: `http://127.0.0.1:${port}` } });
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((resolve) => pages?.close(resolve));
  });

  const api = (method: string) => `https://localhost:${t.app.server.browserPort}/agentidentity.v1.${method}`;
  const json = { "content-type": "application/json" };

  it("lets an allowed origin read the answer and x-error-code, after a preflight with the admin headers", async () => {
    await page.goto(`http://127.0.0.1:${port}/`);
    const jwks = await fetchFrom(page, api("VerifierService/GetJwks"), { headers: json });
    expect(jwks).toMatchObject({ status: 200 });
    // authorization and x-admin-api-key force a preflight.
    const refused = await fetchFrom(page, api("AdminService/ListOrgs"), { headers: { ...json, authorization: "Bearer nope" } });
    expect(refused).toEqual({ status: 401, errorCode: "admin.token_invalid", exposed: null });
    const badKey = await fetchFrom(page, api("AdminService/ExchangeToken"), { headers: { ...json, "x-admin-api-key": "wrong-wrong-wrong" } });
    expect(badKey).toMatchObject({ status: 401, errorCode: "admin.key_invalid" });
    const notInTable = await fetchFrom(page, api("VerifierService/Verify"), { headers: json });
    expect(notInTable).toMatchObject({ status: 403, errorCode: "auth.method_not_permitted" });
  });

  it("gives a page on another origin nothing", async () => {
    await page.goto(`http://localhost:${port}/`);
    for (const headers of [json, { ...json, authorization: "Bearer nope" }]) {
      const seen = await fetchFrom(page, api("VerifierService/GetJwks"), { headers });
      expect(seen).toEqual({ failed: expect.stringContaining("Failed to fetch") });
    }
  });
});
