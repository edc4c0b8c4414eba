/** The Redis gate's master-change rule: a bucket stamped by another master (failover, restart) moves its epoch to now. */
import { afterAll, describe, expect, it } from "vitest";
import { createRedis, waitForRedis } from "../../src/adapters/redis/connection.js";
import { agentBucket, gateKeys } from "../../src/adapters/redis/gate-keys.js";
import { RedisReplayGate } from "../../src/adapters/redis/replay-gate.js";
import { nonceTtlMsFor, type AdmitRequest } from "../../src/domain/verify/index.js";
import { redisTarget } from "../support/databases.js";

const target = redisTarget();
const GRACE_MS = 5000;

describe.skipIf(target === undefined)("redis gate after a master change (TEST_REDIS_URL)", () => {
  const redis = createRedis(target?.url ?? "redis://127.0.0.1:1");
  const prefix = target?.prefix ?? "";
  const keys = gateKeys(prefix);
  afterAll(async () => {
    redis.disconnect();
    await target?.cleanup();
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
    await waitForRedis(redis);
    const gate = new RedisReplayGate(redis, prefix);
    let now = 10_000_000;
    expect(await gate.initEpoch(now - 3_600_000)).toBe(now - 3_600_000);
    const [moved, kept] = ["agt_moved", "agt_kept"];
    expect(agentBucket(moved)).not.toBe(agentBucket(kept));
    for (const a of [moved, kept]) await gate.setAgentVersion(a, 1);
    const earlier = request(moved, "jti-earlier-aaaaaaaaaaaa", now);
    expect(await gate.admit(earlier)).toEqual({ outcome: "admitted" });
    const stamp = await redis.get(keys.agentStamp(moved));
    expect(stamp).toMatch(/^[0-9a-f]{40}$/);

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
});
