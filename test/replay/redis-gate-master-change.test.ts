/** On a cluster: a bucket stamped by another master (a failover) moves its epoch to now; the bus subscriber survives its node. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis, waitForRedis, type RedisClient } from "../../src/adapters/redis/connection.js";
import { agentBucket, gateKeys } from "../../src/adapters/redis/gate-keys.js";
import { RedisInvalidationBus } from "../../src/adapters/redis/invalidation-bus.js";
import type { Invalidation } from "../../src/domain/verify/invalidation.js";
import { RedisReplayGate } from "../../src/adapters/redis/replay-gate.js";
import { nonceTtlMsFor, type AdmitRequest } from "../../src/domain/verify/index.js";
import { redisTarget } from "../support/databases.js";
import { LocalRedisCluster, redisClusterRuns } from "../support/redis-cluster.js";

const GRACE_MS = 5000;
const prefix = "stamp:";
const keys = gateKeys(prefix);

/** Polls until `check` holds (a generous deadline: not a timing assertion). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(redisClusterRuns())("redis cluster: gate after a master change, bus after a node died", () => {
  let cluster: LocalRedisCluster;
  let redis: RedisClient;
  beforeAll(async () => {
    cluster = await LocalRedisCluster.start();
    redis = createRedis(cluster.url);
    redis.on("error", () => undefined);
    await waitForRedis(redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  const request = (agentId: string, jti: string, nowMs: number): AdmitRequest => ({
    callerKey: "rp",
    agentId,
    jti,
    agentStateVersion: 1,
    callerLimitPerMinute: 1000,
    agentLimitPerMinute: 1000,
    nonceTtlMs: nonceTtlMsFor(60, 5),
    proofIatMs: nowMs,
    epochGraceMs: GRACE_MS,
    nowMs,
  });

  it("refuses proofs dated before the first admit after the change, in that bucket only, and stamps the new master", async () => {
    const gate = new RedisReplayGate(redis, prefix);
    let now = 10_000_000;
    expect(await gate.initEpoch(now - 3_600_000)).toBe(now - 3_600_000);
    const [moved, kept] = ["agt_moved", "agt_kept"];
    expect(agentBucket(moved)).not.toBe(agentBucket(kept));
    for (const a of [moved, kept]) await gate.setAgentVersion(a, 1);
    const earlier = request(moved, "jti-earlier-aaaaaaaaaaaa", now);
    expect(await gate.admit(earlier)).toEqual({ outcome: "admitted" });
    const stamp = await redis.get(keys.agentStamp(moved));
    // The stamp is the node id of the master serving the bucket.
    expect(stamp).toBe(await cluster.node(await cluster.masterOf(keys.agentStamp(moved))).call("CLUSTER", "MYID"));

    // What a promoted replica that missed the nonce looks like: the nonce gone, the stamp from another master.
    await redis.del(keys.nonce(moved, earlier.jti));
    await redis.set(keys.agentStamp(moved), "0".repeat(40));
    now += 1000;
    expect(await gate.admit({ ...earlier, nowMs: now })).toEqual({ outcome: "before_epoch" });
    expect(await redis.get(keys.agentStamp(moved))).toBe(stamp);
    expect(Number(await redis.get(keys.agentEpoch(moved)))).toBe(now);
    expect(await gate.admit(request(moved, "jti-fresh-aaaaaaaaaaaaaa", now))).toEqual({ outcome: "before_epoch" });
    // The other bucket kept its epoch: a fresh proof passes at once.
    expect(await gate.admit(request(kept, "jti-kept-aaaaaaaaaaaaaaa", now))).toEqual({ outcome: "admitted" });
    now += GRACE_MS + 1000;
    expect(await gate.admit(request(moved, "jti-later-aaaaaaaaaaaaaa", now))).toEqual({ outcome: "admitted" });
    expect(await gate.admit({ ...earlier, nowMs: now })).toEqual({ outcome: "before_epoch" });
    // initEpoch (start-up, the readiness probe) keeps the moved epoch and reports the latest.
    expect(await gate.initEpoch(now)).toBe(now - GRACE_MS - 1000);
  });

  // Last: it leaves one node dead.
  it("the bus subscriber moves to another node when its node dies, flushes again, and delivers what follows", async () => {
    const bus = new RedisInvalidationBus(redis, prefix, "mover");
    const seen: Invalidation[] = [];
    let flushes = 0;
    const subscription = await bus.subscribe((m) => seen.push(m), () => flushes++);
    try {
      const port = await cluster.nodeWithClient("mover");
      expect(port).toBeDefined();
      await cluster.kill(port!);
      await until("a new subscription on another node", async () => flushes === 2);
      expect(await cluster.nodeWithClient("mover")).not.toBe(port);
      // Publishing may fail while the cluster replaces a dead master: retry until the message arrives.
      const message: Invalidation = { kind: "agent", agentId: "agt_after_node_died", version: 2 };
      await until("the message after the node died", async () => {
        await bus.publish(message);
        await new Promise((r) => setTimeout(r, 100));
        return seen.some((m) => m.kind === "agent" && m.agentId === message.agentId);
      });
    } finally {
      await subscription.close();
    }
  });
});

const single = redisTarget();

describe.skipIf(single === undefined)("redis gate on one server (TEST_REDIS_URL)", () => {
  afterAll(() => single?.cleanup());

  it("keeps no master stamp (one script per admit, no cluster node id)", async () => {
    const redis = createRedis(single?.url ?? "");
    try {
      await waitForRedis(redis);
      const p = single?.prefix ?? "";
      const gate = new RedisReplayGate(redis, p);
      await gate.initEpoch(0);
      await gate.setAgentVersion("agt_single", 1);
      const now = 10_000_000;
      const r = { callerKey: "rp", agentId: "agt_single", jti: "jti-single-aaaaaaaaaaaaa", agentStateVersion: 1, callerLimitPerMinute: 10, agentLimitPerMinute: 10, nonceTtlMs: 1000, proofIatMs: now, epochGraceMs: GRACE_MS, nowMs: now };
      expect(await gate.admit(r)).toEqual({ outcome: "admitted" });
      expect(await redis.exists(gateKeys(p).agentStamp("agt_single"))).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it("initEpoch (also the readiness probe) keeps the epochs in force and re-creates only the missing buckets'", async () => {
    const redis = createRedis(single?.url ?? "");
    try {
      await waitForRedis(redis);
      const keys = gateKeys(`${single?.prefix ?? ""}probe:`);
      const gate = new RedisReplayGate(redis, `${single?.prefix ?? ""}probe:`);
      expect(await gate.initEpoch(1_000)).toBe(1_000);
      expect(await gate.initEpoch(5_000)).toBe(1_000);
      // One bucket lost its epoch (as after a partial loss): only it starts at the new epoch, the latest in force.
      await redis.del(keys.bucketEpoch(7));
      expect(await gate.initEpoch(9_000)).toBe(9_000);
      expect(await redis.get(keys.bucketEpoch(7))).toBe("9000");
      expect(await redis.get(keys.bucketEpoch(8))).toBe("1000");
    } finally {
      redis.disconnect();
    }
  });
});
