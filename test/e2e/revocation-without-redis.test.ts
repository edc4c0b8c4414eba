/**
 * A revocation committed through a replica that cannot reach Redis: the admin gets success (the change is
 * committed; propagation is the service's job) and the other replica refuses the agent within the documented
 * staleness bound (AGENT_STATE_MAX_STALENESS_SECONDS), although no state version or pub/sub message reached it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresOnlyTarget, redisTarget, type RedisTarget } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { registerAgent, verifyOnce } from "../support/agents.js";

const postgres = postgresOnlyTarget();
const redisConfigured = process.env.TEST_REDIS_URL !== undefined && process.env.TEST_REDIS_URL !== "";
const BOUND_SECONDS = 2;

describe.skipIf(postgres === undefined || !redisConfigured)("revocation through a replica cut from Redis (needs TEST_DATABASE_URL and TEST_REDIS_URL)", () => {
  let a: TestApp;
  let b: TestApp;
  let redis: RedisTarget;
  let proxy: TcpProxy;

  beforeAll(async () => {
    redis = redisTarget()!;
    const url = new URL(redis.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 6379));
    const viaProxy: RedisTarget = { ...redis, url: `redis://127.0.0.1:${proxy.port}` };
    const env = { AGENT_STATE_MAX_STALENESS_SECONDS: String(BOUND_SECONDS) };
    a = await startTestApp({ database: postgres!, redis: viaProxy, env });
    b = await startTestApp({ database: postgres!, redis, env, shareDatabaseOf: a, material: a.material });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await proxy?.close();
    await redis?.cleanup();
  });

  it("replica A answers success without Redis; replica B refuses the agent within the bound", { timeout: 60_000 }, async () => {
    const adminA = await a.adminClients();
    const orgId = (await adminA.admin.createOrg({ name: `cut-${Date.now()}` })).org!.id;
    const agent = await registerAgent(a, { registry: adminA.registry, orgId });
    const verifierB = b.verifier();
    expect((await verifyOnce(b, verifierB, agent.key, agent.credential)).reasonCode).toBe("verified");

    proxy.cut();
    const res = await adminA.registry.revokeAgent({ agentId: agent.agentId, reason: "cut from redis" });
    expect(res.agent!.revokeReason).toBe("cut from redis");
    const committedAt = performance.now();
    let last = "";
    while (performance.now() - committedAt < (BOUND_SECONDS + 3) * 1000) {
      last = (await verifyOnce(b, verifierB, agent.key, agent.credential)).reasonCode;
      if (last === "revoked") break;
      expect(last).toBe("verified");
      await new Promise((r) => setTimeout(r, 50));
    }
    const seenAfterMs = performance.now() - committedAt;
    console.log(`revocation without Redis on the revoking replica: refused on replica B ${seenAfterMs.toFixed(0)} ms after commit`);
    expect(last).toBe("revoked");
    expect(seenAfterMs).toBeLessThan((BOUND_SECONDS + 1) * 1000);
    proxy.restore();
  });
});
