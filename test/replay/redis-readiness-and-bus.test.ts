/** Redis readiness (noeviction required) and the invalidation bus (memory always, Redis when configured). */
import { afterAll, describe, expect, it } from "vitest";
import { createRedis, checkRedisReady, waitForRedis } from "../../src/adapters/redis/connection.js";
import { RedisInvalidationBus } from "../../src/adapters/redis/invalidation-bus.js";
import { MemoryInvalidationBus } from "../../src/adapters/memory/invalidation-bus.js";
import type { Invalidation } from "../../src/domain/verify/invalidation.js";
import { redisTarget, runsEmbedded } from "../support/databases.js";

const target = redisTarget();

function waitFor(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => (check() ? resolve() : void setTimeout(poll, 10));
    poll();
  });
}

describe.runIf(runsEmbedded())("memory invalidation bus", () => {
  it("delivers messages and calls onResubscribe on subscribe and on every resubscribe", async () => {
    const bus = new MemoryInvalidationBus();
    const seen: Invalidation[] = [];
    let flushes = 0;
    const sub = await bus.subscribe((m) => seen.push(m), () => flushes++);
    expect(flushes).toBe(1);
    await bus.publish({ kind: "agent", agentId: "agt_a", version: 2 });
    expect(seen).toEqual([{ kind: "agent", agentId: "agt_a", version: 2 }]);
    bus.resubscribeAll();
    expect(flushes).toBe(2);
    await sub.close();
    await bus.publish({ kind: "issuer_keys" });
    expect(seen).toHaveLength(1);
  });
});

describe.skipIf(target === undefined)("redis readiness and bus", () => {
  const url = target?.url ?? "";
  const prefix = target?.prefix ?? "";
  const redis = createRedis(url);
  afterAll(async () => {
    redis.disconnect();
    await target?.cleanup();
  });

  it("is ready only with maxmemory-policy noeviction", async () => {
    await waitForRedis(redis);
    const original = ((await redis.config("GET", "maxmemory-policy")) as string[])[1] ?? "noeviction";
    try {
      await redis.config("SET", "maxmemory-policy", "allkeys-lru");
      const notReady = await checkRedisReady(redis);
      expect(notReady.ok).toBe(false);
      if (!notReady.ok) expect(notReady.reason).toContain("allkeys-lru");
      await redis.config("SET", "maxmemory-policy", "noeviction");
      expect(await checkRedisReady(redis)).toEqual({ ok: true });
    } finally {
      await redis.config("SET", "maxmemory-policy", original);
    }
  });

  it("delivers published messages and flushes again after the subscriber link was cut", async () => {
    await waitForRedis(redis);
    const name = `inv-${prefix.replace(/[^a-z0-9]/gi, "")}`;
    const bus = new RedisInvalidationBus(redis, prefix, name);
    const seen: Invalidation[] = [];
    let flushes = 0;
    const sub = await bus.subscribe((m) => seen.push(m), () => flushes++);
    try {
      expect(flushes).toBe(1);
      await bus.publish({ kind: "agent", agentId: "agt_b", version: 4 });
      await waitFor(() => seen.length === 1);
      expect(seen[0]).toEqual({ kind: "agent", agentId: "agt_b", version: 4 });
      const list = (await redis.client("LIST")) as string;
      const line = list.split("\n").find((l) => l.includes(` name=${name} `));
      const id = line?.match(/id=(\d+)/)?.[1];
      expect(id).toBeDefined();
      await redis.client("KILL", "ID", id ?? "");
      await waitFor(() => flushes === 2);
      await bus.publish({ kind: "issuer_keys" });
      await waitFor(() => seen.length === 2);
      expect(seen[1]).toEqual({ kind: "issuer_keys" });
    } finally {
      await sub.close();
    }
  });
});
