/** Two server processes sharing Postgres and Redis: a revocation on replica A reaches replica B's warm cache. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresOnlyTarget, redisTarget, type RedisTarget } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { registerAgent, verifyOnce } from "../support/agents.js";

const postgres = postgresOnlyTarget();
const redisConfigured = process.env.TEST_REDIS_URL !== undefined && process.env.TEST_REDIS_URL !== "";
const runnable = postgres !== undefined && redisConfigured;
const DEADLINE_MS = 10_000;

describe.skipIf(!runnable)("two replicas sharing Postgres and Redis (skipped without TEST_DATABASE_URL and TEST_REDIS_URL)", () => {
  let a: TestApp;
  let b: TestApp;
  let redis: RedisTarget;

  beforeAll(async () => {
    redis = redisTarget()!;
    a = await startTestApp({ database: postgres!, redis });
    b = await startTestApp({ database: postgres!, redis, shareDatabaseOf: a, material: a.material });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.cleanup();
  });

  it("replica B refuses a credential as revoked after replica A revokes it", async () => {
    const adminA = await a.adminClients();
    const orgId = (await adminA.admin.createOrg({ name: "Replicated" })).org!.id;
    const agent = await registerAgent(a, { registry: adminA.registry, orgId });

    // Replica B reads the agent (warming its state cache) and accepts it.
    const verifierB = b.verifier();
    const warm = await verifyOnce(b, verifierB, agent.key, agent.credential);
    expect(warm.reasonCode).toBe("verified");

    const revokeCalledAt = performance.now();
    await adminA.registry.revokeAgent({ agentId: agent.agentId, reason: "replica test" });
    const revokedAt = performance.now();
    let last = "";
    let attempts = 0;
    while (performance.now() - revokedAt < DEADLINE_MS) {
      attempts++;
      last = (await verifyOnce(b, verifierB, agent.key, agent.credential)).reasonCode;
      if (last === "revoked") break;
      expect(last).toBe("verified");
      await new Promise((r) => setTimeout(r, 5));
    }
    const latencyMs = performance.now() - revokedAt;
    console.log(
      `revocation seen on replica B ${latencyMs.toFixed(1)} ms after RevokeAgent returned on A ` +
        `(${(performance.now() - revokeCalledAt).toFixed(1)} ms after it was called; ${attempts} verify call(s) on B)`,
    );
    expect(last).toBe("revoked");

    // Replica B's admin view agrees.
    const adminB = await b.adminClients();
    const { agent: seen } = await adminB.registry.getAgent({ agentId: agent.agentId });
    expect(seen!.revokeReason).toBe("replica test");
  });
});
