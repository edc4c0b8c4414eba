/**
 * The browser port (8444) end to end: its own fail-closed method table, browser-audience admin JWTs that neither port
 * accepts from the other, ExchangeToken brute force limited and audited, CORS headers, and the console's security
 * headers on every response.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { CONSOLE_SECURITY_HEADERS } from "../../src/server/console-assets.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets } from "../support/databases.js";
import { buildConsole } from "./browser-support.js";

const ALLOWED = "https://console.example.test";

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP/1.1 request to the browser port (no client certificate). */
function raw(t: TestApp, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://localhost:${t.app.server.browserPort}${path}`,
      { method, headers, ca: readFileSync(t.material.caCertFile), agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const bearer =
  (token: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };

async function refusal(p: Promise<unknown>): Promise<{ code: Code; errorCode: string | null; retryAfter: string | null }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(e)}`);
  return { code: e.code, errorCode: e.metadata.get("x-error-code"), retryAfter: e.metadata.get("retry-after") };
}

describe("browser port with BROWSER_ADMIN on", () => {
  let t: TestApp;
  const browserClient = <S extends typeof AdminService | typeof AgentRegistryService | typeof VerifierService>(service: S, token?: string) =>
    createClient(
      service,
      createConnectTransport({
        baseUrl: `https://localhost:${t.app.server.browserPort}`,
        httpVersion: "1.1",
        nodeOptions: { ca: readFileSync(t.material.caCertFile), agent: false },
        interceptors: token === undefined ? [] : [bearer(token)],
      }),
    );
  const signIn = async (key = t.adminApiKey) =>
    browserClient(AdminService).exchangeToken({}, { headers: { "x-admin-api-key": key } });

  beforeAll(async () => {
    buildConsole();
    t = await startTestApp({ database: databaseTargets()[0]!, env: { CORS_ALLOWED_ORIGINS: ALLOWED } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("exchanges the admin API key for a 10-minute browser-audience token that works on the browser port", async () => {
    const res = await signIn();
    const lifetime = Number(res.expireTime!.seconds) * 1000 - Date.now();
    expect(lifetime).toBeGreaterThan(590_000);
    expect(lifetime).toBeLessThanOrEqual(600_000);
    expect(res.subject).toMatch(/^browser:/);
    const payload = JSON.parse(Buffer.from(res.accessToken.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
    expect(payload.aud).toBe(`${t.config.issuer.issuerUrl}/admin/browser`);
    expect(payload.cnf).toBeUndefined();
    const { org } = await browserClient(AdminService, res.accessToken).createOrg({ name: "browser org" });
    expect(org!.id).toMatch(/^org_/);
    const events = await browserClient(AdminService, res.accessToken).listAuditEvents({ action: "org.created", pageSize: 5 });
    expect(events.events[0]!.actor).toBe(res.subject);
  });

  it("refuses an RPC that is not in the browser table, whatever the token", async () => {
    const token = (await signIn()).accessToken;
    const verifier = browserClient(VerifierService, token);
    for (const call of [verifier.verify({}), verifier.createSession({}), browserClient(AgentRegistryService, token).issueCredential({})]) {
      expect(await refusal(call)).toMatchObject({ code: Code.PermissionDenied, errorCode: "auth.method_not_permitted" });
    }
    expect((await browserClient(VerifierService).getJwks({})).jwksJson).toContain('"keys"');
  });

  it("refuses admin RPCs without a valid browser token, and the mTLS port's certificate-bound token", async () => {
    expect(await refusal(browserClient(AdminService).listOrgs({}))).toMatchObject({ code: Code.Unauthenticated, errorCode: "admin.token_missing" });
    expect(await refusal(browserClient(AdminService, "not.a.jwt").listOrgs({}))).toMatchObject({
      code: Code.Unauthenticated,
      errorCode: "admin.token_invalid",
    });
    const { token: mtlsToken, admin } = await t.adminClients();
    await admin.listOrgs({}); // the token is good on its own port
    expect(await refusal(browserClient(AgentRegistryService, mtlsToken).listAgents({}))).toMatchObject({
      code: Code.Unauthenticated,
      errorCode: "admin.token_invalid",
    });
  });

  it("refuses a browser token on the mTLS port, even from an admin certificate", async () => {
    const browserToken = (await signIn()).accessToken;
    const admin = t.client(AdminService, "admin", [bearer(browserToken)]);
    expect(await refusal(admin.listOrgs({}))).toMatchObject({ code: Code.Unauthenticated, errorCode: "admin.token_invalid" });
  });

  it("answers CORS for the allowed origin only, exposing exactly the error headers", async () => {
    const preflight = (origin: string) =>
      raw(t, "OPTIONS", "/agentidentity.v1.AdminService/ListOrgs", {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      });
    const ok = await preflight(ALLOWED);
    expect(ok.status).toBe(204);
    expect(ok.headers["access-control-allow-origin"]).toBe(ALLOWED);
    const allowed = String(ok.headers["access-control-allow-headers"]).split(", ");
    expect(allowed).toEqual(expect.arrayContaining(["content-type", "connect-protocol-version", "authorization", "x-admin-api-key"]));
    const denied = await preflight("https://evil.example.test");
    expect(denied.status).toBe(403);
    expect(denied.headers["access-control-allow-origin"]).toBeUndefined();

    const call = (origin: string) =>
      raw(t, "POST", "/agentidentity.v1.AdminService/ListOrgs", { origin, "content-type": "application/json" }, "{}");
    const fromAllowed = await call(ALLOWED);
    expect(fromAllowed.status).toBe(401);
    expect(fromAllowed.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(fromAllowed.headers["access-control-expose-headers"]).toBe("x-error-code, retry-after, grpc-status, grpc-message");
    expect(fromAllowed.headers["x-error-code"]).toBe("admin.token_missing");
    const fromOther = await call("https://evil.example.test");
    expect(fromOther.headers["access-control-allow-origin"]).toBeUndefined();
    expect(fromOther.headers["access-control-expose-headers"]).toBeUndefined();
  });

  it("serves the console with the CSP and security headers on every response", async () => {
    const responses = await Promise.all([
      raw(t, "GET", "/console/"),
      raw(t, "GET", "/console/app.js"),
      raw(t, "GET", "/console/app.css"),
      raw(t, "GET", "/console/favicon.svg"),
      raw(t, "GET", "/console/no-such-file.js"),
      raw(t, "GET", "/console"),
      raw(t, "GET", "/"),
      raw(t, "HEAD", "/console/"),
      raw(t, "POST", "/console/", {}, "x"),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 404, 308, 308, 200, 405]);
    for (const r of responses) {
      for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) expect(r.headers[name]).toBe(value);
    }
    const csp = String(responses[0]!.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe");
    expect(responses[0]!.headers["x-content-type-options"]).toBe("nosniff");
    expect(responses[1]!.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    // The page itself has no inline script or style for the CSP to forbid.
    const html = responses[0]!.body;
    expect(html).toMatch(/<script type="module" src="app.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  // Last: it locks ExchangeToken for this client address for a minute.
  it("limits ExchangeToken brute force per client address, audits each refused key, and tells when to retry", async () => {
    for (let i = 0; i < 5; i++) {
      expect(await refusal(signIn(`wrong-key-${i}-xxxxxxxxxxxx`))).toMatchObject({ code: Code.Unauthenticated, errorCode: "admin.key_invalid" });
    }
    const limited = await refusal(signIn());
    expect(limited).toMatchObject({ code: Code.ResourceExhausted, errorCode: "admin.exchange_rate_limited" });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    const { admin } = await t.adminClients();
    const refused = await admin.listAuditEvents({ action: "admin.token_refused", pageSize: 50 });
    expect(refused.events).toHaveLength(5);
    expect(refused.events.every((e) => e.actor.startsWith("browser:") && e.details?.["code"] === "admin.key_invalid")).toBe(true);
    expect(JSON.stringify(refused.events.map((e) => e.details))).not.toContain("wrong-key-");
  });
});

describe("browser port with BROWSER_ADMIN off (the production default)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: databaseTargets()[0]!, env: { BROWSER_ADMIN: "off", CORS_ALLOWED_ORIGINS: ALLOWED } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("serves only the JWKS and health: no ExchangeToken, no console, no admin headers in CORS", async () => {
    const admin = createClient(
      AdminService,
      createConnectTransport({
        baseUrl: `https://localhost:${t.app.server.browserPort}`,
        httpVersion: "1.1",
        nodeOptions: { ca: readFileSync(t.material.caCertFile), agent: false },
      }),
    );
    expect(await refusal(admin.exchangeToken({}, { headers: { "x-admin-api-key": t.adminApiKey } }))).toMatchObject({
      code: Code.PermissionDenied,
      errorCode: "auth.method_not_permitted",
    });
    expect((await raw(t, "GET", "/console/")).status).toBe(404);
    const jwks = await raw(t, "GET", "/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    expect(JSON.parse(jwks.body)).toHaveProperty("keys");
    const preflight = await raw(t, "OPTIONS", "/agentidentity.v1.VerifierService/GetJwks", { origin: ALLOWED, "access-control-request-method": "POST" });
    expect(String(preflight.headers["access-control-allow-headers"])).not.toMatch(/authorization|x-admin-api-key/);
  });
});
