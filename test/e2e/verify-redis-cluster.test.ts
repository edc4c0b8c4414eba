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

  it("a failover of one master: proofs from before are refused (its buckets' epochs move), revocation and invalidations hold", async () => {
    const [port, other] = [...onMaster.keys()];
    const [before, toRevoke] = onMaster.get(port!)!;
    const elsewhere = onMaster.get(other!)![0]!;
    const proof = await freshProof(before!);
    expect(await verify(before!, proof)).toBe("verified");

    const watcher = createRedis(cluster.url);
    const seen: Invalidation[] = [];
    let flushes = 0;
    const subscription = await openBus(watcher, seen, () => flushes++);
    try {
      const promoted = await cluster.failover(port!);
      expect(await masterOf(before!)).toBe(promoted);
      // The nonce was replicated (a manual failover loses nothing), and the epoch rule refuses the proof too.
      expect(await cluster.node(promoted).exists(gateKeys(PREFIX).nonce(before!.agentId, jtiOf(proof)))).toBe(1);
      expect(await verify(before!, proof)).toBe("stale_proof");
      // The moved master's agents wait out the future skew; the other masters' agents do not.
      expect(await verify(before!, await freshProof(before!))).toBe("stale_proof");
      expect(await verify(elsewhere, await freshProof(elsewhere))).toBe("verified");
      clock.advance(t.config.verify.proofFutureSkewSeconds * 1000 + 1000);
      expect(await verify(before!, await freshProof(before!))).toBe("verified");
      expect(await verify(before!, proof)).toBe("stale_proof");

      await (await t.adminClients()).registry.revokeAgent({ agentId: toRevoke!.agentId, reason: "after failover" });
      expect(await verify(toRevoke!, await freshProof(toRevoke!))).toBe("revoked");
      // The revocation's invalidation crossed the cluster to the watcher's subscription.
      await eventually(async () => seen.some((m) => m.kind === "agent" && m.agentId === toRevoke!.agentId), "the revocation's invalidation");
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

  // Last: it leaves one node dead.
  it("a master crashes and its replica, which missed the last nonce, takes over: the proof is still refused", async () => {
    const [, , port] = [...onMaster.keys()];
    const a = onMaster.get(port!)![0]!;
    const replica = await cluster.replicaOf(port!);
    // The replica stops reading and its link is cut: what the master writes now never reaches it.
    cluster.freeze(replica, true);
    await cluster.node(port!).call("CLIENT", "KILL", "TYPE", "replica");
    const proof = await freshProof(a);
    expect(await verify(a, proof)).toBe("verified");
    await cluster.kill(port!);
    cluster.freeze(replica, false);
    await cluster.takeover(replica);
    expect(await cluster.node(replica).exists(gateKeys(PREFIX).nonce(a.agentId, jtiOf(proof)))).toBe(0);
    // The service's client finds the new master on its own (UNAVAILABLE meanwhile); its first answer counts.
    let answer: string | undefined;
    await eventually(async () => (answer = await verify(a, proof)) !== undefined, "an answer after the takeover");
    expect(answer).toBe("stale_proof");
    clock.advance(t.config.verify.proofFutureSkewSeconds * 1000 + 1000);
    expect(await verify(a, await freshProof(a))).toBe("verified");
  });
});

/** The jti claim of a compact JWS proof. */
function jtiOf(proof: string): string {
  return (JSON.parse(Buffer.from(proof.split(".")[1] ?? "", "base64url").toString("utf8")) as { jti: string }).jti;
}

/** A bus subscription on its own cluster client (as another replica holds one), recording messages. */
async function openBus(client: RedisClient, seen: Invalidation[], onResubscribe: () => void) {
  await waitForRedis(client);
  return new RedisInvalidationBus(client, PREFIX, "cluster-watcher").subscribe((m) => seen.push(m), onResubscribe);
}
