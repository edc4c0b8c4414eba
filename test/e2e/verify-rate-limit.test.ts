// End to end over real mTLS: RATE_LIMIT_PER_MINUTE gives RESOURCE_EXHAUSTED (HTTP 429 on Connect) with retry-after, and keeps the nonce.
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { create, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifierService, VerifyRequestSchema } from "../../gen/agentidentity/v1/verifier_pb.js";
import { ManualClock } from "../../src/domain/clock.js";
import { proofFor, registerAgent, verifyRequest } from "../support/agents.js";
import { metricValue, scrapeMetrics } from "../support/wire.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets, redisTarget, type RedisTarget } from "../support/databases.js";

const pglite = databaseTargets().find((d) => d.name === "pglite")!;
const sharedRedis = redisTarget();
const stores: { name: string; redis: RedisTarget | undefined }[] = [
  { name: "memory", redis: undefined },
  ...(sharedRedis !== undefined ? [{ name: "redis", redis: sharedRedis }] : []),
];

const LIMIT = 5;

/** POSTs a Connect unary JSON request over HTTP/1.1 with the relying party's client certificate. */
function connectPost(t: TestApp, path: string, body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const rp = t.material.clients.relyingParty;
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.baseUrl}${path}`,
      {
        method: "POST",
        ca: readFileSync(t.material.caCertFile),
        cert: readFileSync(rp.certFile),
        key: readFileSync(rp.keyFile),
        headers: { "content-type": "application/json", "connect-protocol-version": "1" },
      },
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

describe.each(stores)("rate limit on the $name store", ({ redis }) => {
  let t: TestApp;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestApp({ database: pglite, redis, clock, env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.cleanup();
  });

  it("answers RESOURCE_EXHAUSTED with retry-after (429 on Connect), counts the hits and keeps the nonce", async () => {
    const rp = t.material.clients.relyingParty.identity;
    const a = await registerAgent(t, { clock });
    const verifier = t.verifier();
    const hitsBefore = metricValue(await scrapeMetrics(t), "agent_identity_rate_limit_hits_total", { endpoint: "verify" });
    for (let i = 0; i < LIMIT; i++) {
      expect((await verifier.verify(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)))).reasonCode).toBe(
        "verified",
      );
    }
    const limited = await proofFor(a.key, rp, a.credential);
    const req = verifyRequest({ credential: a.credential }, limited);

    // gRPC.
    let err: ConnectError | undefined;
    try {
      await verifier.verify(req);
    } catch (e) {
      err = ConnectError.from(e);
    }
    expect(err?.code).toBe(Code.ResourceExhausted);
    const retryAfter = Number(err!.metadata.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60 / LIMIT + 1);

    // The Connect protocol over HTTP/1.1: HTTP 429 and a retry-after header.
    const raw = await connectPost(t, `/${VerifierService.typeName}/Verify`, toJsonString(VerifyRequestSchema, create(VerifyRequestSchema, req)));
    expect(raw.status).toBe(429);
    expect(Number(raw.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect((JSON.parse(raw.body) as { code: string }).code).toBe("resource_exhausted");

    // The Connect protocol over HTTP/2 through connect-node.
    const rpFiles = t.material.clients.relyingParty;
    const connectVerifier = createClient(
      VerifierService,
      createConnectTransport({
        baseUrl: t.baseUrl,
        httpVersion: "2",
        nodeOptions: { ca: readFileSync(t.material.caCertFile), cert: readFileSync(rpFiles.certFile), key: readFileSync(rpFiles.keyFile) },
      }),
    );
    let connectErr: ConnectError | undefined;
    try {
      await connectVerifier.verify(req);
    } catch (e) {
      connectErr = ConnectError.from(e);
    }
    expect(connectErr?.code).toBe(Code.ResourceExhausted);
    expect(Number(connectErr!.metadata.get("retry-after"))).toBeGreaterThanOrEqual(1);

    expect(metricValue(await scrapeMetrics(t), "agent_identity_rate_limit_hits_total", { endpoint: "verify" })).toBe(hitsBefore + 3);

    // Once the window has room again, the very proof that was limited verifies: its nonce was not consumed.
    clock.advance(retryAfter * 1000);
    const after = await verifier.verify(req);
    expect(after.reasonCode).toBe("verified");
  });
});
