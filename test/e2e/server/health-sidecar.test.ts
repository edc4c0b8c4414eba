/** Health Check/Watch/List on the mTLS port and the h2c sidecar; sidecar /healthz, /readyz, /metrics. */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { createTestPki } from "../../support/tls.js";
import type { TestPki } from "../../support/tls.js";
import { mtlsClient, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let pki: TestPki;
let h: Harness;
const closers: (() => void)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  h = await startHarness(pki);
});

afterAll(async () => {
  for (const c of closers) c();
  await h.server.shutdown(1_000);
});

function mtlsHealth() {
  const c = mtlsClient(Health, h.server.grpcPort, pki, pki.clients.agent);
  closers.push(c.close);
  return c.client;
}

function sidecarHealth() {
  const baseUrl = `http://127.0.0.1:${h.server.sidecarPort}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  closers.push(() => sessionManager.abort());
  return createClient(Health, createGrpcTransport({ baseUrl, sessionManager }));
}

/** Plain HTTP/1.1 GET against the sidecar. */
function get(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: h.server.sidecarPort, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe.each([
  ["the mTLS port", mtlsHealth],
  ["the h2c sidecar", sidecarHealth],
])("grpc.health.v1 on %s", (_label, client) => {
  it("answers Check for the server and each service, NOT_FOUND for others", async () => {
    const c = client();
    expect((await c.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await c.check({ service: "agentidentity.v1.VerifierService" })).status).toBe(Status.SERVING);
    const err = await c.check({ service: "nope.Service" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.NotFound);
  });

  it("lists every service", async () => {
    const res = await client().list({});
    expect(Object.keys(res.statuses).sort()).toEqual([
      "",
      "agentidentity.v1.AdminService",
      "agentidentity.v1.AgentRegistryService",
      "agentidentity.v1.VerifierService",
    ]);
  });

  it("streams a change to Watch", async () => {
    const abort = new AbortController();
    const stream = client().watch({ service: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(Status.SERVING);
    h.health.report("database", { ok: false, error: "connection refused" });
    expect((await stream.next()).value?.status).toBe(Status.NOT_SERVING);
    h.health.report("database", { ok: true });
    expect((await stream.next()).value?.status).toBe(Status.SERVING);
    abort.abort();
    await stream.return?.(undefined);
  });
});

describe("sidecar HTTP endpoints", () => {
  it("answers /healthz", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
  });

  it("answers /readyz 200, then 503 naming the failing check", async () => {
    const ok = await get("/readyz");
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true });
    h.health.report("database", { ok: false, error: "connection refused" });
    try {
      const bad = await get("/readyz");
      expect(bad.status).toBe(503);
      expect(JSON.parse(bad.body)).toEqual({ ok: false, checks: { database: { ok: false, error: "connection refused" } } });
    } finally {
      h.health.report("database", { ok: true });
    }
  });

  it("serves /metrics in Prometheus text with our rpc counter and every metric name", async () => {
    const c = mtlsClient(VerifierService, h.server.grpcPort, pki, pki.clients.relyingParty);
    closers.push(c.close);
    await c.client.getJwks({});
    const res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.type).toContain("text/plain");
    const samples = res.body.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    for (const line of samples) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+Na-]+$/);
    const jwksCount = samples.find((l) =>
      l.startsWith('agent_identity_rpc_total{method="/agentidentity.v1.VerifierService/GetJwks",code="ok"}'),
    );
    expect(Number(jwksCount?.split(" ")[1])).toBeGreaterThanOrEqual(1);
    expect(res.body).toContain("process_cpu_user_seconds_total");
    expect(res.body).toContain('agent_identity_dependency_up{dependency="database"} 1');
    for (const name of [
      "agent_identity_rpc_duration_seconds",
      "agent_identity_admin_auth_total",
      "agent_identity_verify_total",
      "agent_identity_verify_duration_seconds",
      "agent_identity_replay_denials_total",
      "agent_identity_rate_limit_hits_total",
      "agent_identity_trust_compute_duration_seconds",
      "agent_identity_audit_batch_size",
    ]) {
      expect(res.body).toContain(`# TYPE ${name} `);
    }
  });

  it("serves the JWKS from the callback", async () => {
    const res = await get("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ keys: [] });
  });

  it("answers 404 for other paths over HTTP/1.1", async () => {
    expect((await get("/nothing")).status).toBe(404);
  });
});
