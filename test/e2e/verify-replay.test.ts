// End to end over real mTLS: one proof verified once (50 concurrent sends, one app and two replicas), store and service restarts, lost invalidations.
import { deleteKeysWithPrefix } from "../../src/adapters/redis/keyspace.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { ManualClock } from "../../src/domain/clock.js";
import { proofFor, registerAgent, verifyRequest, type RegisteredAgent } from "../support/agents.js";
import { LocalRedisServer, redisServerAvailable } from "../support/redis-server.js";
import { eventually, readyz } from "../support/wire.js";
import { startTestApp, testMaterial, type TestApp } from "../support/app-harness.js";
import { databaseTargets, postgresOnlyTarget, redisTarget, type RedisTarget } from "../support/databases.js";

const pglite = databaseTargets().find((d) => d.name === "pglite")!;

/** Sends the same request `n` times at once, split round-robin over the verifiers; counts the reason codes. */
async function sendConcurrently(verifiers: Client<typeof VerifierService>[], a: RegisteredAgent, proof: string, n: number) {
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) => verifiers[i % verifiers.length]!.verify(verifyRequest({ credential: a.credential }, proof))),
  );
  const counts: Record<string, number> = {};
  for (const r of answers) counts[r.reasonCode] = (counts[r.reasonCode] ?? 0) + 1;
  return counts;
}

const sharedRedis = redisTarget();
const stores: { name: string; redis: RedisTarget | undefined }[] = [
  { name: "memory", redis: undefined },
  ...(sharedRedis !== undefined ? [{ name: "redis", redis: sharedRedis }] : []),
];

describe.each(stores)("one app, $name replay store", ({ redis }) => {
  let t: TestApp;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestApp({ database: pglite, redis, clock });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.cleanup();
  });

  it("the same proof sent 50 times at once: exactly one verified, 49 nonce_replay", async () => {
    const a = await registerAgent(t, { clock });
    const proof = await proofFor(a.key, t.material.clients.relyingParty.identity, a.credential);
    const counts = await sendConcurrently([t.verifier(), t.verifier()], a, proof, 50);
    expect(counts).toEqual({ verified: 1, nonce_replay: 49 });
  });

  it.skipIf(redis === undefined)("Redis emptied: a proof from before is refused, fresh proofs verify after the future skew", async () => {
    const r = redis!;
    const rp = t.material.clients.relyingParty.identity;
    const a = await registerAgent(t, { clock });
    const proof = await proofFor(a.key, rp, a.credential);
    const verifier = t.verifier();
    expect((await verifier.verify(verifyRequest({ credential: a.credential }, proof))).reasonCode).toBe("verified");
    expect(t.config.storage.redisKeyPrefix).toBe(r.prefix);
    expect(noticeOf(await readyz(t))).toBeUndefined();
    expect(await deleteKeysWithPrefix(r.url, t.config.storage.redisKeyPrefix)).toBeGreaterThan(0);
    const flushedAt = clock.nowMs();

    const again = await verifier.verify(verifyRequest({ credential: a.credential }, proof));
    expect(again.valid).toBe(false);
    expect(again.reasonCode).toBe("stale_proof");
    // /readyz names the window's end at once (still ready: it lasts seconds).
    const ready = await readyz(t);
    expect(ready.status).toBe(200);
    const until = Date.parse(noticeOf(ready)!.refuses_proofs_dated_until!);
    const skewMs = t.config.verify.proofFutureSkewSeconds * 1000;
    expect(until).toBe(flushedAt + skewMs);
    // A proof made inside the window (dated up to the restart plus the future skew) is refused as well...
    const early = await proofFor(a.key, rp, a.credential);
    expect((await verifier.verify(verifyRequest({ credential: a.credential }, early))).reasonCode).toBe("stale_proof");
    // ...and one made just after the future skew verifies, while the proof from before the restart stays refused
    // (it is well within its 60 s max age).
    clock.advance(skewMs + 1000);
    const later = await proofFor(a.key, rp, a.credential);
    expect((await verifier.verify(verifyRequest({ credential: a.credential }, later))).reasonCode).toBe("verified");
    expect((await verifier.verify(verifyRequest({ credential: a.credential }, proof))).reasonCode).toBe("stale_proof");
    expect(noticeOf(await readyz(t))).toBeUndefined();
  });
});

/** The replay-window notice in a /readyz body, if any. */
function noticeOf(res: { body: string }): Record<string, string> | undefined {
  const body = JSON.parse(res.body) as { notices?: Record<string, Record<string, string>> };
  return body.notices?.replay_restart_window;
}

describe("embedded process restarted on the same PGlite data directory", () => {
  it("verifies a fresh proof at once and still refuses the proof consumed before the restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aid-pglite-"));
    const material = await testMaterial();
    const clock = new ManualClock(Date.now());
    const env = { PGLITE_DATA_DIR: join(dataDir, "db") };
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    try {
      first = await startTestApp({ database: pglite, material, clock, env });
      const rp = material.clients.relyingParty.identity;
      const a = await registerAgent(first, { clock });
      const proof = await proofFor(a.key, rp, a.credential);
      expect((await first.verifier().verify(verifyRequest({ credential: a.credential }, proof))).reasonCode).toBe("verified");
      await first.close();
      first = undefined;

      second = await startTestApp({ database: pglite, material, clock, env });
      // No clock movement: the restart opened no window.
      const fresh = await proofFor(a.key, rp, a.credential);
      expect((await second.verifier().verify(verifyRequest({ credential: a.credential }, fresh))).reasonCode).toBe("verified");
      const replay = await second.verifier().verify(verifyRequest({ credential: a.credential }, proof));
      expect(replay.valid).toBe(false);
      expect(replay.reasonCode).toBe("nonce_replay");
      expect(noticeOf(await readyz(second))).toBeUndefined();
    } finally {
      await first?.close();
      await second?.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(join(material.dir, ".."), { recursive: true, force: true });
    }
  });
});

describe.skipIf(sharedRedis === undefined)("service restarted while Redis kept its data", () => {
  it("opens no window: a fresh proof verifies at once, the old one is a replay, /readyz has no notice", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aid-pglite-"));
    const material = await testMaterial();
    const clock = new ManualClock(Date.now());
    const env = { PGLITE_DATA_DIR: join(dataDir, "db") };
    const kept = redisTarget()!;
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    try {
      first = await startTestApp({ database: pglite, redis: kept, material, clock, env });
      const rp = material.clients.relyingParty.identity;
      const a = await registerAgent(first, { clock });
      const proof = await proofFor(a.key, rp, a.credential);
      expect((await first.verifier().verify(verifyRequest({ credential: a.credential }, proof))).reasonCode).toBe("verified");
      await first.close();
      first = undefined;

      second = await startTestApp({ database: pglite, redis: kept, material, clock, env });
      const fresh = await proofFor(a.key, rp, a.credential);
      expect((await second.verifier().verify(verifyRequest({ credential: a.credential }, fresh))).reasonCode).toBe("verified");
      expect((await second.verifier().verify(verifyRequest({ credential: a.credential }, proof))).reasonCode).toBe("nonce_replay");
      await second.app.health.checkNow();
      expect(noticeOf(await readyz(second))).toBeUndefined();
    } finally {
      await first?.close();
      await second?.close();
      await kept.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(join(material.dir, ".."), { recursive: true, force: true });
    }
  });
});

const postgres = postgresOnlyTarget();

describe.skipIf(postgres === undefined || !redisServerAvailable())(
  "two replicas sharing Postgres and a Redis of their own (needs TEST_DATABASE_URL and a redis-server binary)",
  () => {
    let server: LocalRedisServer;
    let redis: RedisTarget;
    let a: TestApp;
    let b: TestApp;
    let admin: Redis;
    /** Client ids of B's invalidation subscriber connection. */
    let subscriberOfB: string[];

    const subscribers = async (): Promise<string[]> => {
      const list = (await admin.client("LIST")) as string;
      return list
        .split("\n")
        .filter((line) => / name=agent-identity-invalidation /.test(line))
        .map((line) => /\bid=(\d+)/.exec(line)![1]!);
    };

    beforeAll(async () => {
      server = await LocalRedisServer.start();
      admin = server.connect();
      const prefix = `test:${Math.random().toString(36).slice(2)}:`;
      redis = { url: server.url, prefix, cleanup: async () => void (await deleteKeysWithPrefix(server.url, prefix)) };
      a = await startTestApp({ database: postgres!, redis });
      const ofA = await subscribers();
      b = await startTestApp({ database: postgres!, redis, shareDatabaseOf: a });
      subscriberOfB = (await subscribers()).filter((id) => !ofA.includes(id));
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
      admin?.disconnect();
      await server?.stop();
    });

    it("the same proof sent 50 times to two replicas: exactly one verified", async () => {
      const agent = await registerAgent(a);
      const proof = await proofFor(agent.key, a.material.clients.relyingParty.identity, agent.credential);
      const counts = await sendConcurrently([a.verifier(), b.verifier()], agent, proof, 50);
      expect(counts).toEqual({ verified: 1, nonce_replay: 49 });
    });

    it("a replica whose pub/sub link was cut still refuses a revoked agent", async () => {
      expect(subscriberOfB).toHaveLength(1);
      const rp = a.material.clients.relyingParty.identity;
      const agent = await registerAgent(a);
      // B caches the agent's state.
      const warm = await b.verifier().verify(verifyRequest({ credential: agent.credential }, await proofFor(agent.key, rp, agent.credential)));
      expect(warm.reasonCode).toBe("verified");

      // Cut B's subscriber connection and keep it cut: no new connection is accepted (maxclients below the
      // current count; existing connections stay), so B cannot resubscribe and flush. The revocation on A is
      // published while B is not listening; only the state-version check in the gate can tell B.
      const connected = Number(/connected_clients:(\d+)/.exec(await admin.info("clients"))![1]);
      await admin.config("SET", "maxclients", String(connected - 1));
      try {
        await admin.client("KILL", "ID", subscriberOfB[0]!);
        const { registry } = await a.adminClients();
        await registry.revokeAgent({ agentId: agent.agentId, reason: "compromised" });
        expect(await subscribers()).toHaveLength(1);
        const onB = await b.verifier().verify(verifyRequest({ credential: agent.credential }, await proofFor(agent.key, rp, agent.credential)));
        expect(onB.valid).toBe(false);
        expect(onB.reasonCode).toBe("revoked");
        expect(await subscribers()).toHaveLength(1);
      } finally {
        await admin.config("SET", "maxclients", "10000");
      }
      const onA = await a.verifier().verify(verifyRequest({ credential: agent.credential }, await proofFor(agent.key, rp, agent.credential)));
      expect(onA.reasonCode).toBe("revoked");
      // B's subscriber comes back by itself once connections are accepted again.
      await eventually(async () => (await subscribers()).length === 2, "B resubscribes");
    });
  },
);
