/** Contract suite for the agent repository (keys and manifests history, revoke, rotate, pagination). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import type { TestDatabase } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";
import { agent, BASE_MS, collect, jwk, MANIFEST, org } from "./fixtures.js";
import type { Org } from "../../src/domain/orgs/index.js";
import { createSqlPersister, type SqlPersister } from "../../src/adapters/sql/persister.js";

describe.each(sqlAdapterTargets())("agent repository on $name", (target) => {
  let db: TestDatabase;
  let storage: SqlPersister;
  let orgA: Org;
  let orgB: Org;
  beforeAll(async () => {
    db = await target.open();
    storage = createSqlPersister(db);
    orgA = org({ tier: "enterprise" });
    orgB = org({ tier: "unverified" });
    await storage.read.orgs.insert(orgA);
    await storage.read.orgs.insert(orgB);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it("inserts an agent with its first key and manifest, and reads it and its state back", async () => {
    const a = agent(orgA.id);
    await storage.unitOfWork.run((tx) => tx.agents.insert(a));
    expect(await storage.read.agents.get(a.id)).toEqual(a);
    expect(await storage.read.agents.getStateVersion(a.id)).toBe(1);
    expect(await storage.read.agents.getState(a.id)).toEqual({
      agentId: a.id,
      orgId: orgA.id,
      status: "active",
      publicJwk: a.publicJwk,
      keyThumbprint: a.keyThumbprint,
      manifestHash: a.manifestHash,
      capabilities: MANIFEST,
      stateVersion: 1,
      createdAtMs: a.createdAtMs,
      orgTier: "enterprise",
    });
    const keys = await db.query<{ thumbprint: string; retired_at: Date | null }>(
      "SELECT thumbprint, retired_at FROM agent_keys WHERE agent_id = $1",
      [a.id],
    );
    expect(keys).toEqual([{ thumbprint: a.keyThumbprint, retired_at: null }]);
    expect(await storage.read.agents.get("agt_missing")).toBeUndefined();
    expect(await storage.read.agents.getState("agt_missing")).toBeUndefined();
    expect(await storage.read.agents.getStateVersion("agt_missing")).toBeUndefined();
  });

  it("refuses an unknown org as not_found and leaves nothing behind", async () => {
    const a = agent("org_unknown");
    const err = await storage.unitOfWork.run((tx) => tx.agents.insert(a)).catch((e: unknown) => e);
    expect((err as DomainError).kind).toBe("not_found");
    expect((err as DomainError).code).toBe("org.not_found");
    expect(await storage.read.agents.get(a.id)).toBeUndefined();
  });

  it("revokes idempotently: the first revocation's who/when/why stay and the version bumps once", async () => {
    const a = agent(orgA.id);
    await storage.read.agents.insert(a);
    const first = await storage.unitOfWork.run((tx) => tx.agents.revoke(a.id, { by: "spiffe://t/admin", reason: "compromised", atMs: BASE_MS + 10 }));
    expect(first.changed).toBe(true);
    expect(first.agent).toMatchObject({ status: "revoked", stateVersion: 2, revokedBy: "spiffe://t/admin", revokeReason: "compromised", revokedAtMs: BASE_MS + 10 });
    const second = await storage.unitOfWork.run((tx) => tx.agents.revoke(a.id, { by: "spiffe://t/other", reason: "again", atMs: BASE_MS + 20 }));
    expect(second.changed).toBe(false);
    expect(second.agent).toEqual(first.agent);
    expect(await storage.read.agents.getStateVersion(a.id)).toBe(2);
    const missing = await storage.read.agents.revoke("agt_missing", { by: "x", reason: "y", atMs: 0 }).catch((e: unknown) => e);
    expect((missing as DomainError).code).toBe("agent.not_found");
  });

  it("rotates the key: history kept, old key retired, version bumped, reuse refused", async () => {
    const a = agent(orgA.id);
    await storage.read.agents.insert(a);
    const newKey = jwk();
    const rotated = await storage.unitOfWork.run((tx) =>
      tx.agents.rotateKey(a.id, { publicJwk: newKey, keyThumbprint: "thumb-2", atMs: BASE_MS + 50 }),
    );
    expect(rotated).toMatchObject({ publicJwk: newKey, keyThumbprint: "thumb-2", stateVersion: 2, updatedAtMs: BASE_MS + 50 });
    const keys = await db.query<{ thumbprint: string; retired_at: Date | null }>(
      "SELECT thumbprint, retired_at FROM agent_keys WHERE agent_id = $1 ORDER BY created_at",
      [a.id],
    );
    expect(keys).toEqual([
      { thumbprint: a.keyThumbprint, retired_at: new Date(BASE_MS + 50) },
      { thumbprint: "thumb-2", retired_at: null },
    ]);
    const reuse = await storage.unitOfWork
      .run((tx) => tx.agents.rotateKey(a.id, { publicJwk: a.publicJwk, keyThumbprint: a.keyThumbprint, atMs: BASE_MS + 60 }))
      .catch((e: unknown) => e);
    expect((reuse as DomainError).code).toBe("agent.key_reused");
    expect(await storage.read.agents.getStateVersion(a.id)).toBe(2);
  });

  it("updates capabilities with history and a version bump; both refuse a revoked agent", async () => {
    const a = agent(orgA.id);
    await storage.read.agents.insert(a);
    const manifest = { scopes: ["read"], operations: [], amountLimits: [] };
    const updated = await storage.unitOfWork.run((tx) =>
      tx.agents.updateCapabilities(a.id, { capabilities: manifest, manifestHash: "hash-2", atMs: BASE_MS + 5 }),
    );
    expect(updated).toMatchObject({ capabilities: manifest, manifestHash: "hash-2", stateVersion: 2 });
    const history = await db.query<{ state_version: string; manifest_hash: string }>(
      "SELECT state_version, manifest_hash FROM agent_manifests WHERE agent_id = $1 ORDER BY state_version",
      [a.id],
    );
    expect(history).toEqual([
      { state_version: "1", manifest_hash: "hash-1" },
      { state_version: "2", manifest_hash: "hash-2" },
    ]);
    await storage.read.agents.revoke(a.id, { by: "admin", reason: "done", atMs: BASE_MS + 6 });
    const e1 = await storage.read.agents
      .updateCapabilities(a.id, { capabilities: manifest, manifestHash: "hash-3", atMs: BASE_MS + 7 })
      .catch((e: unknown) => e);
    expect((e1 as DomainError).code).toBe("agent.revoked");
    const e2 = await storage.read.agents.rotateKey(a.id, { publicJwk: jwk(), keyThumbprint: "t-x", atMs: BASE_MS + 7 }).catch((e: unknown) => e);
    expect((e2 as DomainError).code).toBe("agent.revoked");
    const e3 = await storage.read.agents.rotateKey("agt_missing", { publicJwk: jwk(), keyThumbprint: "t-y", atMs: 0 }).catch((e: unknown) => e);
    expect((e3 as DomainError).code).toBe("agent.not_found");
    expect(e3).toBeInstanceOf(DomainError);
  });

  it("lists with org and status filters across pages, each agent once, in stable order", async () => {
    const mine = [];
    for (let i = 0; i < 17; i++) {
      const a = agent(orgB.id, { createdAtMs: BASE_MS + 100 + Math.floor(i / 4) });
      await storage.read.agents.insert(a);
      mine.push(a);
    }
    for (const a of mine.slice(0, 5)) await storage.read.agents.revoke(a.id, { by: "admin", reason: "r", atMs: BASE_MS + 200 });
    const expectedOrder = [...mine].sort((x, y) => x.createdAtMs - y.createdAtMs || (x.id < y.id ? -1 : 1)).map((a) => a.id);

    const all = await collect((t) => storage.read.agents.list({ orgId: orgB.id, pageSize: 4, pageToken: t }));
    expect(all.map((a) => a.id)).toEqual(expectedOrder);
    const revoked = await collect((t) => storage.read.agents.list({ orgId: orgB.id, status: "revoked", pageSize: 2, pageToken: t }));
    expect(new Set(revoked.map((a) => a.id))).toEqual(new Set(mine.slice(0, 5).map((a) => a.id)));
    const active = await collect((t) => storage.read.agents.list({ orgId: orgB.id, status: "active", pageSize: 3, pageToken: t }));
    expect(active).toHaveLength(12);
    expect(active.every((a) => a.status === "active")).toBe(true);
    const everyone = await collect((t) => storage.read.agents.list({ pageSize: 7, pageToken: t }));
    expect(everyone.filter((a) => a.orgId === orgB.id)).toHaveLength(17);
  });

  it("rolls the whole unit of work back when it throws", async () => {
    const a = agent(orgA.id);
    const err = await storage.unitOfWork
      .run(async (tx) => {
        await tx.agents.insert(a);
        throw new Error("boom");
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe("boom");
    expect(await storage.read.agents.get(a.id)).toBeUndefined();
  });
});
