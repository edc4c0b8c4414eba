/** InvalidationBus port contract: one suite run against the in-process bus, the Redis pub/sub bus (TEST_REDIS_URL) and a Redis Cluster the file starts. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryInvalidationBus } from "../../src/adapters/memory/invalidation-bus.js";
import { createRedis, waitForRedis, type RedisClient } from "../../src/adapters/redis/connection.js";
import { RedisInvalidationBus } from "../../src/adapters/redis/invalidation-bus.js";
import type { Invalidation, InvalidationBus, InvalidationSubscription } from "../../src/domain/verify/invalidation.js";
import { redisTarget, runsEmbedded } from "../support/databases.js";
import { LocalRedisCluster, redisClusterRuns } from "../support/redis-cluster.js";

/** Buses that share one channel: what two replicas (or two components of one replica) see. */
interface Channel {
  /** A bus on this channel as seen from replica `replica` (0 or 1). */
  bus(replica: 0 | 1): InvalidationBus;
  /** Publishes raw text on the channel, bypassing the adapter (undefined: the adapter has no wire format). */
  readonly publishRaw: ((text: string) => Promise<void>) | undefined;
}

interface BusTarget {
  readonly name: string;
  setUp(): Promise<void>;
  /** A channel no other test uses. */
  channel(): Channel;
  tearDown(): Promise<void>;
}

const memoryTarget: BusTarget = {
  name: "memory",
  setUp: async () => {},
  channel() {
    // The in-process bus is the channel: every component of the one process holds the same instance.
    const bus = new MemoryInvalidationBus();
    return { bus: () => bus, publishRaw: undefined };
  },
  tearDown: async () => {},
};

/** Two clients of one Redis (or cluster), as two replicas would hold them. */
function redisBusOn(name: string, start: () => Promise<{ url: string; prefix: string }>, stop: () => Promise<void>): BusTarget {
  let replicas: [RedisClient, RedisClient] | undefined;
  let base = "";
  let channels = 0;
  return {
    name,
    async setUp() {
      const { url, prefix } = await start();
      base = prefix;
      replicas = [createRedis(url), createRedis(url)];
      await Promise.all(replicas.map((r) => waitForRedis(r)));
    },
    channel() {
      if (replicas === undefined) throw new Error("redis not connected");
      const connections = replicas;
      const prefix = `${base}bus${channels++}:`;
      return {
        bus: (replica) => new RedisInvalidationBus(connections[replica], prefix, `contract-${replica}`),
        // RedisInvalidationBus publishes on `${prefix}invalidate`; the raw tests first prove it with a valid message.
        publishRaw: async (text) => void (await connections[0].publish(`${prefix}invalidate`, text)),
      };
    },
    async tearDown() {
      for (const r of replicas ?? []) r.disconnect();
      await stop();
    },
  };
}

function redisBusTarget(): BusTarget | undefined {
  const target = redisTarget();
  if (target === undefined) return undefined;
  return redisBusOn("redis", async () => target, () => target.cleanup());
}

/** A cluster this file starts: publishers and subscribers land on different nodes. */
function redisClusterBusTarget(): BusTarget | undefined {
  if (!redisClusterRuns()) return undefined;
  let cluster: LocalRedisCluster | undefined;
  return redisBusOn(
    "redis cluster",
    async () => ({ url: (cluster = await LocalRedisCluster.start()).url, prefix: "bus:" }),
    async () => void (await cluster?.stop()),
  );
}

const targets: BusTarget[] = [...(runsEmbedded() ? [memoryTarget] : []), redisBusTarget(), redisClusterBusTarget()].filter(
  (t): t is BusTarget => t !== undefined,
);

const DELIVERY_DEADLINE_MS = 5000;

/** Polls `check` until it holds; fails (naming `what`) if it still does not after the deadline. */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + DELIVERY_DEADLINE_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not observed within ${DELIVERY_DEADLINE_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Subscriptions still open; closed after each test. */
const open: InvalidationSubscription[] = [];

type Event = { readonly type: "resubscribe" } | { readonly type: "message"; readonly message: Invalidation };

/** A subscriber that records what it sees, in order. */
class Recorder {
  readonly events: Event[] = [];
  subscription: InvalidationSubscription | undefined;

  get messages(): Invalidation[] {
    return this.events.flatMap((e) => (e.type === "message" ? [e.message] : []));
  }

  get resubscribes(): number {
    return this.events.filter((e) => e.type === "resubscribe").length;
  }

  async subscribeTo(bus: InvalidationBus): Promise<this> {
    this.subscription = await bus.subscribe(
      (message) => this.events.push({ type: "message", message }),
      () => this.events.push({ type: "resubscribe" }),
    );
    open.push(this.subscription);
    return this;
  }

  has(message: Invalidation): boolean {
    return this.messages.some((m) => JSON.stringify(m) === JSON.stringify(message));
  }
}

const agentMessage = (agentId: string, version: number): Invalidation => ({ kind: "agent", agentId, version });
const ISSUER_KEYS: Invalidation = { kind: "issuer_keys" };

describe.each(targets)("InvalidationBus contract: $name", (target) => {
  beforeAll(() => target.setUp());
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  afterAll(() => target.tearDown());

  it("onResubscribe has run exactly once when subscribe resolves, before any message, and not again", async () => {
    const channel = target.channel();
    const bus = channel.bus(0);
    let atResolve = -1;
    const recorder = new Recorder();
    await recorder.subscribeTo(bus).then((r) => (atResolve = r.resubscribes));
    expect(atResolve).toBe(1);
    await bus.publish(agentMessage("agt_first", 1));
    await eventually("the first message", () => recorder.has(agentMessage("agt_first", 1)));
    await bus.publish(ISSUER_KEYS);
    await eventually("the second message", () => recorder.has(ISSUER_KEYS));
    expect(recorder.events).toEqual([
      { type: "resubscribe" },
      { type: "message", message: agentMessage("agt_first", 1) },
      { type: "message", message: ISSUER_KEYS },
    ]);
  });

  it("agent and issuer_keys messages reach every subscriber on the channel, the publisher's own included", async () => {
    const channel = target.channel();
    const [busA, busB] = [channel.bus(0), channel.bus(1)];
    const onA1 = await new Recorder().subscribeTo(busA);
    const onA2 = await new Recorder().subscribeTo(busA);
    const onB = await new Recorder().subscribeTo(busB);
    const all = [onA1, onA2, onB];

    const agent = agentMessage("agt_everyone", 7);
    await busA.publish(agent);
    await eventually("the agent message on every subscriber", () => all.every((r) => r.has(agent)));
    await busB.publish(ISSUER_KEYS);
    await eventually("the issuer_keys message on every subscriber", () => all.every((r) => r.has(ISSUER_KEYS)));
    for (const r of all) {
      expect(r.messages).toEqual([agent, ISSUER_KEYS]);
      expect(r.resubscribes).toBe(1);
    }
  });

  it("messages published before subscribing are not delivered (no replay)", async () => {
    const channel = target.channel();
    const bus = channel.bus(0);
    // A witness on the same bus sees the earlier messages arrive: on a cluster PUBLISH answers before the
    // message crossed to the other nodes, and one still in flight is not a replay.
    const witness = await new Recorder().subscribeTo(bus);
    await bus.publish(agentMessage("agt_before", 1));
    await channel.bus(1).publish(ISSUER_KEYS);
    await eventually("the earlier messages at the witness", () => witness.has(agentMessage("agt_before", 1)) && witness.has(ISSUER_KEYS));
    const recorder = await new Recorder().subscribeTo(bus);
    const after = agentMessage("agt_after", 2);
    await bus.publish(after);
    await eventually("the message published after subscribing", () => recorder.has(after));
    expect(recorder.messages).toEqual([after]);
  });

  it("close() stops delivery to that subscription only", async () => {
    const channel = target.channel();
    const bus = channel.bus(0);
    const closing = await new Recorder().subscribeTo(bus);
    const staying = await new Recorder().subscribeTo(bus);
    const before = agentMessage("agt_before_close", 1);
    await bus.publish(before);
    await eventually("the message before close on both", () => closing.has(before) && staying.has(before));

    await closing.subscription?.close();
    // Published at once after close() resolves, from both replicas: a subscriber connection that is still
    // draining must not hand any of them to the closed subscription.
    const afterClose = [
      ...Array.from({ length: 10 }, (_, i) => agentMessage("agt_after_close", i + 2)),
      ISSUER_KEYS,
    ];
    const other = channel.bus(1);
    for (const [i, m] of afterClose.entries()) await (i % 2 === 0 ? bus : other).publish(m);
    await eventually("the messages after close on the open subscription", () => afterClose.every((m) => staying.has(m)));
    expect(closing.messages).toEqual([before]);
    expect(staying.messages).toEqual([before, ...afterClose]);
  });

  it("a subscription closed right after subscribing receives nothing published after close() resolved", async () => {
    const channel = target.channel();
    const bus = channel.bus(0);
    const witness = await new Recorder().subscribeTo(channel.bus(1));
    for (let round = 0; round < 5; round++) {
      const closed = await new Recorder().subscribeTo(bus);
      await closed.subscription?.close();
      const message = agentMessage("agt_closed_round", round);
      await bus.publish(message);
      await eventually(`round ${round} on the open subscription`, () => witness.has(message));
      expect(closed.messages).toEqual([]);
      expect(closed.resubscribes).toBe(1);
    }
  });

  it.skipIf(target.name === "memory")(
    "malformed messages on the channel are ignored and later messages still arrive",
    async () => {
      const channel = target.channel();
      const publishRaw = channel.publishRaw;
      if (publishRaw === undefined) throw new Error("this target has no raw channel");
      const recorder = await new Recorder().subscribeTo(channel.bus(0));

      // The raw channel is the adapter's: a well-formed raw message arrives.
      await publishRaw(JSON.stringify({ kind: "agent", agentId: "agt_raw", version: 3 }));
      await eventually("the well-formed raw message", () => recorder.has(agentMessage("agt_raw", 3)));

      const garbage = [
        "not json at all",
        "",
        "null",
        "[]",
        "42",
        '"issuer_keys"',
        "{}",
        '{"kind":"unknown"}',
        '{"kind":"agent"}',
        '{"kind":"agent","agentId":1,"version":2}',
        '{"kind":"agent","agentId":"agt_x","version":"2"}',
        '{"kind":"agent","agentId":"agt_x"',
        "\u0000\u00ff binary-ish",
      ];
      for (const text of garbage) await publishRaw(text);
      const later = agentMessage("agt_later", 4);
      await channel.bus(1).publish(later);
      await channel.bus(0).publish(ISSUER_KEYS);
      await eventually("the messages after the garbage", () => recorder.has(later) && recorder.has(ISSUER_KEYS));
      expect(recorder.messages).toEqual([agentMessage("agt_raw", 3), later, ISSUER_KEYS]);
      expect(recorder.resubscribes).toBe(1);
    },
  );
});
