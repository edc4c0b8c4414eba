// End to end over real mTLS on a three-master Redis Cluster the file starts: agents on every master, a failover
// of one master to its replica, a master that lost its data, readiness per master, the bus across the failover.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis, waitForRedis, type RedisClient } from "../../src/adapters/redis/connection.js";
import { gateKeys } from "../../src/adapters/redis/gate-keys.js";
import { RedisInvalidationBus } from "../../src/adapters/redis/invalidation-bus.js";
import { deleteKeysWithPrefix } from "../../src/adapters/redis/keyspace.js";
import { ManualClock } from "../../src/domain/clock.js";
import type { Invalidation } from "../../src/domain/verify/invalidation.js";
import { proofFor, registerAgent, verifyRequest, type RegisteredAgent } from "../support/agents.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets } from "../support/databases.js";
import { LocalRedisCluster, redisClusterRuns } from "../support/redis-cluster.js";
import { eventually, readyz } from "../support/wire.js";

const pglite = databaseTargets().find((d) => d.name === "pglite")!;
const PREFIX = "e2e:";

describe.runIf(redisClusterRuns())("the service on a three-master Redis Cluster", () => {
  const clock = new ManualClock(Date.now());
  let cluster: LocalRedisCluster;
  let t: TestApp;
  /** Registered agents by the port of the master holding their bucket. */
  const onMaster = new Map<number, RegisteredAgent[]>();

  const verify = async (a: RegisteredAgent, proof: string) => (await t.verifier().verify(verifyRequest({ credential: a.credential }, proof))).reasonCode;
  const freshProof = (a: RegisteredAgent) => proofFor(a.key, t.material.clients.relyingParty.identity, a.credential);
  const masterOf = (a: RegisteredAgent) => cluster.masterOf(gateKeys(PREFIX).agentVersion(a.agentId));
  /** An agent on `port`'s master that is not in `except`. */
  const agentOn = (port: number, except: RegisteredAgent[] = []) => onMaster.get(port)?.find((a) => !except.includes(a));

  beforeAll(async () => {
    cluster = await LocalRedisCluster.start();
    const redis = { url: cluster.url, prefix: PREFIX, cleanup: async () => void (await deleteKeysWithPrefix(cluster.url, PREFIX)) };
    t = await startTestApp({ database: pglite, redis, clock, env: { DEPENDENCY_PROBE_INTERVAL_SECONDS: "1" } });
    // Two agents on every master (buckets spread over the three masters' slots).
    for (let i = 0; i < 60 && [...onMaster.values()].filter((l) => l.length >= 2).length < 3; i++) {
      const a = await registerAgent(t, { clock });
      const port = await masterOf(a);
      onMaster.set(port, [...(onMaster.get(port) ?? []), a]);
    }
  });
  afterAll(async () => {
    await t?.close();
    await cluster?.stop();
  });

  it("agents on every master: a proof verifies once, then nonce_replay; a revoked agent is refused at once", async () => {
    expect(onMaster.size).toBe(3);
    for (const agents of onMaster.values()) {
      const a = agents[0]!;
      const proof = await freshProof(a);
      expect(await verify(a, proof)).toBe("verified");
      expect(await verify(a, proof)).toBe("nonce_replay");
    }
    const [port] = onMaster.keys();
    const victim = onMaster.get(port!)![1]!;
    expect(await verify(victim, await freshProof(victim))).toBe("verified");
    await (await t.adminClients()).registry.revokeAgent({ agentId: victim.agentId, reason: "cluster test" });
    expect(await verify(victim, await freshProof(victim))).toBe("revoked");
  });

  it("/readyz checks every master's maxmemory-policy and names the one that evicts", async () => {
    await eventually(async () => (await readyz(t)).status === 200, "ready");
    const [port] = onMaster.keys();
    await cluster.node(port!).config("SET", "maxmemory-policy", "allkeys-lru");
    try {
      await eventually(async () => {
        const r = await readyz(t);
        return r.status === 503 && r.body.includes(`${port}`) && r.body.includes("allkeys-lru");
      }, "not ready, naming the master");
    } finally {
      await cluster.node(port!).config("SET", "maxmemory-policy", "noeviction");
    }
    await eventually(async () => (await readyz(t)).status === 200, "ready again");
  });

  it("a failover of one master: proofs admitted before stay refused (the nonces were replicated), revocation and invalidations hold", async () => {
    const [port] = [...onMaster.keys()].filter((p) => agentOn(p) !== undefined);
    const before = agentOn(port!)!;
    const toRevoke = onMaster.get(port!)!.find((a) => a !== before && a.agentId !== undefined)!;
    const proof = await freshProof(before);
    expect(await verify(before, proof)).toBe("verified");
    expect(await verify(toRevoke, await freshProof(toRevoke))).not.toBe("nonce_replay");

    const watcher = createRedis(cluster.url);
    const seen: Invalidation[] = [];
    let flushes = 0;
    const subscription = await openBus(watcher, seen, () => flushes++);
    try {
      const promoted = await cluster.failover(port!);
      expect(await masterOf(before)).toBe(promoted);
      expect(await verify(before, proof)).toBe("nonce_replay");
      expect(await verify(before, await freshProof(before))).toBe("verified");
      await (await t.adminClients()).registry.revokeAgent({ agentId: toRevoke.agentId, reason: "after failover" });
      expect(await verify(toRevoke, await freshProof(toRevoke))).toBe("revoked");
      // The revocation's invalidation crossed the cluster to the watcher's subscription.
      await eventually(async () => seen.some((m) => m.kind === "agent" && m.agentId === toRevoke.agentId), "the revocation's invalidation");
      expect(flushes).toBeGreaterThanOrEqual(1);
    } finally {
      await subscription.close();
      watcher.disconnect();
    }
  });

  it("a master that lost its data: its agents' earlier proofs are refused (bucket epoch), other masters' agents verify at once", async () => {
    const [lost, kept] = [...onMaster.keys()];
    const hit = onMaster.get(lost!)![0]!;
    const spared = onMaster.get(kept!)![0]!;
    const proof = await freshProof(hit);
    expect(await verify(hit, proof)).toBe("verified");
    await cluster.node(await masterOf(hit)).flushall();
    expect(await verify(hit, proof)).toBe("stale_proof");
    expect(await verify(spared, await freshProof(spared))).toBe("verified");
    clock.advance(t.config.verify.proofFutureSkewSeconds * 1000 + 1000);
    expect(await verify(hit, await freshProof(hit))).toBe("verified");
    expect(await verify(hit, proof)).toBe("stale_proof");
  });
});

/** A bus subscription on its own cluster client (as another replica holds one), recording messages. */
async function openBus(client: RedisClient, seen: Invalidation[], onResubscribe: () => void) {
  await waitForRedis(client);
  return new RedisInvalidationBus(client, PREFIX, "cluster-watcher").subscribe((m) => seen.push(m), onResubscribe);
}
