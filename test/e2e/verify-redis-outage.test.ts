// End to end over real mTLS against a redis-server child of this test: Redis down fails closed and both Verify and /readyz recover by themselves.
import { Code, ConnectError } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { proofFor, registerAgent, verifyRequest, type RegisteredAgent } from "../support/agents.js";
import { LocalRedisServer, redisServerAvailable } from "../support/redis-server.js";
import { eventually, metricValue, readyz, scrapeMetrics } from "../support/wire.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets } from "../support/databases.js";

const pglite = databaseTargets().find((d) => d.name === "pglite")!;

describe.skipIf(!redisServerAvailable())("Redis outage (own redis-server child on a loopback port; skipped without a redis-server binary)", () => {
  let server: LocalRedisServer;
  let t: TestApp;
  let a: RegisteredAgent;
  const clock = new ManualClock(Date.now());

  let verifier: ReturnType<TestApp["verifier"]>;
  const sendFresh = async () =>
    verifier.verify(verifyRequest({ credential: a.credential }, await proofFor(a.key, t.material.clients.relyingParty.identity, a.credential)));
  const codeOf = async (call: Promise<unknown>): Promise<Code | "ok"> => {
    try {
      await call;
      return "ok";
    } catch (e) {
      return ConnectError.from(e).code;
    }
  };

  beforeAll(async () => {
    server = await LocalRedisServer.start();
    t = await startTestApp({ database: pglite, redis: { url: server.url, prefix: "outage:", cleanup: async () => undefined }, clock });
    a = await registerAgent(t, { clock });
    verifier = t.verifier();
  });
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  it("Redis down: Verify answers UNAVAILABLE and /readyz 503 naming redis; both recover when it returns", async () => {
    expect((await sendFresh()).reasonCode).toBe("verified");
    await eventually(async () => (await readyz(t)).status === 200, "ready with Redis up");

    await server.stop();
    expect(await codeOf(sendFresh())).toBe(Code.Unavailable);
    await eventually(async () => {
      const r = await readyz(t);
      return r.status === 503 && (JSON.parse(r.body) as { checks: Record<string, { ok: boolean }> }).checks.redis?.ok === false;
    }, "/readyz 503 naming redis");
    expect(metricValue(await scrapeMetrics(t), "agent_identity_dependency_up", { dependency: "redis" })).toBe(0);
    expect(await codeOf(sendFresh())).toBe(Code.Unavailable);

    // Redis returns on the same port, empty. No app restart.
    await server.start();
    await eventually(async () => (await codeOf(sendFresh())) === "ok", "Verify answers decisions again");
    await eventually(async () => (await readyz(t)).status === 200, "/readyz 200 again");
    expect(metricValue(await scrapeMetrics(t), "agent_identity_dependency_up", { dependency: "redis" })).toBe(1);
    // The store came back empty: proofs dated up to the new epoch plus the future skew are refused; later ones pass.
    clock.advance((t.config.verify.proofFutureSkewSeconds + 2) * 1000);
    expect((await sendFresh()).reasonCode).toBe("verified");
  });

  it("/readyz 503 while maxmemory-policy is not noeviction", async () => {
    const admin: Redis = server.connect();
    try {
      await admin.config("SET", "maxmemory-policy", "allkeys-lru");
      await eventually(async () => {
        const r = await readyz(t);
        return r.status === 503 && r.body.includes("redis") && r.body.includes("noeviction");
      }, "/readyz 503 for an evicting Redis");
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await eventually(async () => (await readyz(t)).status === 200, "/readyz 200 with noeviction");
    } finally {
      admin.disconnect();
    }
  });
});
