/** One contract suite for the replay gate: memory and memory + SQL ledger (PGlite; Postgres with TEST_DATABASE_URL), Redis with TEST_REDIS_URL, and a three-master Redis Cluster the file starts itself (all required in CI). */
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { nonceTtlMsFor, type AdmitRequest, type ReplayStore as ReplayGate } from "../../src/domain/verify/index.js";
import { MemoryReplayGate } from "../../src/adapters/memory/replay-gate.js";
import { SqlReplayLedger } from "../../src/adapters/sql/replay-ledger.js";
import { RedisReplayGate } from "../../src/adapters/redis/replay-gate.js";
import { createRedis, waitForRedis, type RedisClient } from "../../src/adapters/redis/connection.js";
import { deleteKeysUnder } from "../../src/adapters/redis/keyspace.js";
import { LocalRedisCluster, redisClusterRuns } from "../support/redis-cluster.js";
import { adapterRun, redisTarget, runsEmbedded, type DatabaseTarget, type TestDatabase } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";

/** The default window: 60 s max age, 5 s future skew; the restart window (epoch grace) is the future skew. */
const WINDOW = { maxAgeSeconds: 60, futureSkewSeconds: 5 };
const GRACE_MS = WINDOW.futureSkewSeconds * 1000;

interface OpenGate {
  readonly gate: ReplayGate;
  /** Empties the store as a restart would (memory: a new process; Redis: every key of the prefix, epoch too). */
  restartEmpty(): Promise<void>;
}

interface Target {
  readonly name: string;
  open(clock: ManualClock): Promise<OpenGate>;
  close(): Promise<void>;
}

function memoryTarget(): Target {
  return {
    name: "memory",
    async open(clock) {
      let gate = new MemoryReplayGate(clock);
      return {
        get gate() {
          return gate;
        },
        async restartEmpty() {
          gate = new MemoryReplayGate(clock);
        },
      };
    },
    async close() {},
  };
}

/** A Redis target on `url` (each open() a prefix of its own under `prefix`). */
function redisGateOn(name: string, connect: () => Promise<{ url: string; prefix: string }>, shutdown: () => Promise<void>): Target {
  const clients: RedisClient[] = [];
  let n = 0;
  return {
    name,
    async open() {
      const { url, prefix: base } = await connect();
      const redis = createRedis(url);
      clients.push(redis);
      await waitForRedis(redis);
      const prefix = `${base}${n++}:`;
      const gate = new RedisReplayGate(redis, prefix);
      return {
        gate,
        async restartEmpty() {
          await deleteKeysUnder(redis, prefix);
        },
      };
    },
    async close() {
      for (const c of clients) c.disconnect();
      await shutdown();
    },
  };
}

function redisGateTarget(): Target | undefined {
  const target = redisTarget();
  if (target === undefined) return undefined;
  return redisGateOn("redis", async () => target, () => target.cleanup());
}

/** A Redis Cluster started (once) by this file; keys spread over its three masters. */
function redisClusterGateTarget(): Target | undefined {
  if (!redisClusterRuns()) return undefined;
  let cluster: Promise<LocalRedisCluster> | undefined;
  return redisGateOn(
    "redis cluster",
    async () => ({ url: (await (cluster ??= LocalRedisCluster.start())).url, prefix: "gate:" }),
    async () => void (await (await cluster)?.stop()),
  );
}

/** The development store: the memory gate whose nonces and epoch live in the embedded database. */
function sqlLedgerTarget(database: DatabaseTarget): Target {
  let shared: Promise<TestDatabase> | undefined;
  const empty = async (db: TestDatabase) => {
    await db.query("DELETE FROM embedded_replay_nonces");
    await db.query("DELETE FROM embedded_replay_epoch");
  };
  return {
    name: `memory + SQL ledger on ${database.name}`,
    async open(clock) {
      // One database for the suite (opening one takes seconds); each test starts from empty tables.
      const db = await (shared ??= database.open());
      await empty(db);
      let gate = new MemoryReplayGate(clock, new SqlReplayLedger(db));
      return {
        get gate() {
          return gate;
        },
        async restartEmpty() {
          await empty(db);
          gate = new MemoryReplayGate(clock, new SqlReplayLedger(db));
        },
      };
    },
    async close() {
      if (shared !== undefined) await (await shared).dispose();
    },
  };
}

// On Postgres (TEST_DATABASE_URL; directly and through PgBouncer) the ledger's INSERT ... ON CONFLICT decides concurrent admits of one nonce
// across pooled connections, as it would for development processes sharing DATABASE_URL without Redis.
const targets = [runsEmbedded() ? memoryTarget() : undefined, ...sqlAdapterTargets().map(sqlLedgerTarget), redisGateTarget(), redisClusterGateTarget()].filter(
  (t): t is Target => t !== undefined,
);

let jtiCounter = 0;
function jti(): string {
  return `jti-${process.pid}-${++jtiCounter}-aaaaaaaaaaaaaaaaaaaa`;
}

describe.each(targets)("replay gate contract ($name)", (target) => {
  let clock: ManualClock;
  let store: OpenGate;
  const agentId = "agt_0000000000000000000000000a";

  function request(overrides: Partial<AdmitRequest> = {}): AdmitRequest {
    return {
      callerKey: "spiffe://test/rp",
      agentId,
      jti: jti(),
      agentStateVersion: 1,
      callerLimitPerMinute: 1000,
      agentLimitPerMinute: 1000,
      nonceTtlMs: nonceTtlMsFor(WINDOW.maxAgeSeconds, WINDOW.futureSkewSeconds),
      proofIatMs: clock.nowMs(),
      epochGraceMs: GRACE_MS,
      nowMs: clock.nowMs(),
      ...overrides,
    };
  }

  /** Starts the store's epoch as start-up does, moves past its grace window, with the agent at version 1. */
  async function warm(): Promise<void> {
    await store.gate.initEpoch(clock.nowMs());
    clock.advance(GRACE_MS + 1000);
    await store.gate.setAgentVersion(agentId, 1);
  }

  beforeEach(async () => {
    clock = new ManualClock();
    store = await target.open(clock);
    await warm();
  });

  afterAll(() => target.close());

  it("admits a nonce once, then answers replay", async () => {
    const r = request();
    expect(await store.gate.admit(r)).toEqual({ outcome: "admitted" });
    expect(await store.gate.admit({ ...r, nowMs: clock.nowMs() + 1 })).toEqual({ outcome: "replay" });
  });

  it("admits exactly one of 50 concurrent admits of the same jti", async () => {
    const r = request();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.gate.admit(r)));
    expect(outcomes.filter((o) => o.outcome === "admitted")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "replay")).toHaveLength(49);
  });

  it("rate-limits per caller without burning the nonce, and admits the same nonce later", async () => {
    const limits = { callerLimitPerMinute: 2, agentLimitPerMinute: 1000 };
    expect((await store.gate.admit(request(limits))).outcome).toBe("admitted");
    expect((await store.gate.admit(request(limits))).outcome).toBe("admitted");
    const third = request(limits);
    const limited = await store.gate.admit(third);
    expect(limited.outcome).toBe("rate_limited");
    if (limited.outcome !== "rate_limited") return;
    expect(limited.scope).toBe("caller");
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(30_000);
    clock.advance(limited.retryAfterMs);
    expect(await store.gate.admit({ ...third, nowMs: clock.nowMs() })).toEqual({ outcome: "admitted" });
    clock.advance(30_000);
    expect(await store.gate.admit({ ...third, nowMs: clock.nowMs() })).toEqual({ outcome: "replay" });
  });

  it("rate-limits per agent across callers", async () => {
    const limits = { callerLimitPerMinute: 1000, agentLimitPerMinute: 1 };
    expect((await store.gate.admit(request({ ...limits, callerKey: "rp-a" }))).outcome).toBe("admitted");
    const second = await store.gate.admit(request({ ...limits, callerKey: "rp-b" }));
    expect(second).toMatchObject({ outcome: "rate_limited", scope: "agent" });
  });

  it("answers stale_state for an unknown or different version and never lowers a stored version", async () => {
    expect(await store.gate.admit(request({ agentId: "agt_unknown" }))).toEqual({
      outcome: "stale_state",
      currentVersion: undefined,
    });
    await store.gate.setAgentVersion(agentId, 3);
    expect(await store.gate.admit(request({ agentStateVersion: 1 }))).toEqual({ outcome: "stale_state", currentVersion: 3 });
    await store.gate.setAgentVersion(agentId, 2);
    expect((await store.gate.admit(request({ agentStateVersion: 3 }))).outcome).toBe("admitted");
  });

  it("a request refused after the caller's limit was checked gives the caller's charge back", async () => {
    const limits = { callerLimitPerMinute: 1, agentLimitPerMinute: 1000 };
    expect((await store.gate.admit(request({ ...limits, agentStateVersion: 7 }))).outcome).toBe("stale_state");
    expect((await store.gate.admit(request({ ...limits, agentId: "agt_unknown" }))).outcome).toBe("stale_state");
    expect((await store.gate.admit(request(limits))).outcome).toBe("admitted");
    expect(await store.gate.admit(request(limits))).toMatchObject({ outcome: "rate_limited", scope: "caller" });
  });

  it("a stale or limited request leaves the nonce unused", async () => {
    const r = request({ agentStateVersion: 7 });
    expect((await store.gate.admit(r)).outcome).toBe("stale_state");
    expect((await store.gate.admit({ ...r, agentStateVersion: 1 })).outcome).toBe("admitted");
  });

  it("refuses a proof seen before the store restarted empty, and fresh proofs for the future skew only", async () => {
    const r = request();
    expect((await store.gate.admit(r)).outcome).toBe("admitted");
    await store.restartEmpty();
    clock.advance(1000);
    await store.gate.setAgentVersion(agentId, 1);
    expect(await store.gate.admit({ ...r, nowMs: clock.nowMs() })).toEqual({ outcome: "before_epoch" });
    // A proof made right after the restart is still inside the window and refused as well.
    expect(await store.gate.admit(request())).toEqual({ outcome: "before_epoch" });
    clock.advance(GRACE_MS + 1000);
    expect((await store.gate.admit(request())).outcome).toBe("admitted");
    // The proof from before the restart, still within its max age, stays refused.
    expect(await store.gate.admit({ ...r, nowMs: clock.nowMs() })).toEqual({ outcome: "before_epoch" });
  });

  it("initEpoch keeps an existing epoch, and sets one on an emptied store", async () => {
    const existing = await store.gate.initEpoch(clock.nowMs() - 3_600_000);
    expect(existing).toBeGreaterThan(clock.nowMs() - 3_600_000);
    await store.restartEmpty();
    const past = clock.nowMs() - nonceTtlMsFor(WINDOW.maxAgeSeconds, WINDOW.futureSkewSeconds) - GRACE_MS;
    expect(await store.gate.initEpoch(past)).toBe(past);
    await store.gate.setAgentVersion(agentId, 1);
    // With the epoch in the past (a clean start), a fresh proof passes at once.
    expect((await store.gate.admit(request())).outcome).toBe("admitted");
  });

  it("proposals are single use", async () => {
    await store.gate.putProposal("prp_1", "value-1", 60_000);
    expect(await store.gate.takeProposal("prp_1")).toBe("value-1");
    expect(await store.gate.takeProposal("prp_1")).toBeUndefined();
    expect(await store.gate.takeProposal("prp_missing")).toBeUndefined();
  });
});

// A client socket to a closed port: not for the socket-free embedded run.
describe.skipIf(adapterRun() === "embedded")("redis gate fails closed", () => {
  it("answers DomainError unavailable when Redis is unreachable", async () => {
    const redis = createRedis("redis://127.0.0.1:1", 500);
    redis.on("error", () => undefined);
    try {
      const gate = new RedisReplayGate(redis, "unreachable:");
      const error = await gate
        .admit({
          callerKey: "rp",
          agentId: "agt_x",
          jti: "j".repeat(22),
          agentStateVersion: 1,
          callerLimitPerMinute: 10,
          agentLimitPerMinute: 10,
          nonceTtlMs: 1000,
          proofIatMs: 0,
          epochGraceMs: 0,
          nowMs: 0,
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).kind).toBe("unavailable");
      await expect(gate.takeProposal("prp_x")).rejects.toMatchObject({ kind: "unavailable" });
    } finally {
      redis.disconnect();
    }
  });
});
