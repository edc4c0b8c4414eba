/** Contract suites for credentials, issuer keys, trust events and trust state. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainError } from "../../src/domain/errors.js";
import { newId } from "../../src/domain/ids.js";
import type { TestDatabase } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";
import { agent, BASE_MS, org } from "./fixtures.js";
import type { Agent } from "../../src/domain/agents/index.js";
import { createSqlPersister, type SqlPersister } from "../../src/adapters/sql/persister.js";
import type { TrustEventRecord } from "../../src/domain/trust/index.js";

describe.each(sqlAdapterTargets())("credential, issuer key and trust repositories on $name", (target) => {
  let db: TestDatabase;
  let storage: SqlPersister;
  let a: Agent;
  beforeAll(async () => {
    db = await target.open();
    storage = createSqlPersister(db);
    const o = org();
    a = agent(o.id);
    await storage.unitOfWork.run(async (tx) => {
      await tx.orgs.insert(o);
      await tx.agents.insert(a);
    });
  });
  afterAll(async () => {
    await db.dispose();
  });

  it("records issued credentials", async () => {
    const jti = newId("crd");
    await storage.unitOfWork.run((tx) =>
      tx.credentials.recordIssued({ jti, agentId: a.id, kid: "k1", issuedAtMs: BASE_MS, expiresAtMs: BASE_MS + 3_600_000 }),
    );
    const rows = await db.query<{ agent_id: string; kid: string; expires_at: Date }>(
      "SELECT agent_id, kid, expires_at FROM credentials WHERE jti = $1",
      [jti],
    );
    expect(rows).toEqual([{ agent_id: a.id, kid: "k1", expires_at: new Date(BASE_MS + 3_600_000) }]);
  });

  it("keeps issuer key records through activate, retire, reactivate and revoke", async () => {
    const keys = storage.read.issuerKeys;
    const pub = { kty: "EC", crv: "P-256", x: "x1", y: "y1" };
    await keys.upsertActive({ kid: "k1", alg: "ES256", publicJwk: pub, status: "active", createdAtMs: BASE_MS });
    await keys.upsertActive({ kid: "k2", alg: "EdDSA", publicJwk: { kty: "OKP", crv: "Ed25519", x: "x2" }, status: "active", createdAtMs: BASE_MS + 1 });
    await keys.retire("k1", BASE_MS + 2);
    await keys.retire("k1", BASE_MS + 3); // no-op: already retired
    expect(await keys.list()).toEqual([
      { kid: "k1", alg: "ES256", publicJwk: pub, status: "retired", createdAtMs: BASE_MS, retiredAtMs: BASE_MS + 2 },
      { kid: "k2", alg: "EdDSA", publicJwk: { kty: "OKP", crv: "Ed25519", x: "x2" }, status: "active", createdAtMs: BASE_MS + 1 },
    ]);
    await keys.upsertActive({ kid: "k1", alg: "ES256", publicJwk: pub, status: "active", createdAtMs: BASE_MS + 9 });
    expect((await keys.list())[0]).toEqual({ kid: "k1", alg: "ES256", publicJwk: pub, status: "active", createdAtMs: BASE_MS });
    await keys.revoke("k1", BASE_MS + 4);
    await keys.revoke("k1", BASE_MS + 5);
    await keys.upsertActive({ kid: "k1", alg: "ES256", publicJwk: pub, status: "active", createdAtMs: BASE_MS }); // never reactivates
    await keys.retire("k1", BASE_MS + 6);
    expect((await keys.list())[0]).toEqual({ kid: "k1", alg: "ES256", publicJwk: pub, status: "revoked", createdAtMs: BASE_MS, revokedAtMs: BASE_MS + 4 });
  });

  function trustEvent(overrides: Partial<TrustEventRecord> = {}): TrustEventRecord {
    return {
      id: newId("tev"),
      agentId: a.id,
      reporter: "spiffe://t/rp",
      reporterKind: "relying-party",
      eventType: "transaction",
      success: true,
      latencyMs: 120,
      slaMet: true,
      dispute: false,
      raw: { uptime_reliability: 0.99, note: "ok" },
      decisionId: undefined,
      occurredAtMs: BASE_MS,
      recordedAtMs: BASE_MS + 1,
      ...overrides,
    };
  }

  it("stores trust events, lists them newest first and bounded, refuses a second report of a decision", async () => {
    const events = [0, 1, 2, 3, 4].map((i) => trustEvent({ occurredAtMs: BASE_MS + i * 1000, latencyMs: i === 2 ? undefined : 10 + i, slaMet: i === 2 ? undefined : true }));
    for (const e of events) await storage.read.trustEvents.insert(e);
    const listed = await storage.read.trustEvents.listForAgent(a.id, { limit: 3 });
    expect(listed).toEqual([events[4], events[3], events[2]]);
    expect(await storage.read.trustEvents.listForAgent(a.id, { limit: 100, sinceMs: BASE_MS + 3000 })).toEqual([events[4], events[3]]);
    expect(await storage.read.trustEvents.listForAgent(a.id, { limit: 1_000_000 })).toHaveLength(5);

    const decisionId = newId("evt");
    await storage.read.trustEvents.insert(trustEvent({ decisionId }));
    const dup = await storage.read.trustEvents.insert(trustEvent({ decisionId })).catch((e: unknown) => e);
    expect((dup as DomainError).code).toBe("trust.duplicate_report");
    await storage.read.trustEvents.insert(trustEvent({ decisionId, reporter: "spiffe://t/other-rp" }));
  });

  it("finds verify decisions in the audit log by id, agent and relying party", async () => {
    const decisionId = newId("evt");
    await storage.auditAppender.appendBatch([
      { id: decisionId, timeMs: BASE_MS, actor: "spiffe://t/rp", action: "verify.decision", target: a.id, orgId: a.orgId, requestId: "r1", details: { valid: true } },
      { id: newId("evt"), timeMs: BASE_MS, actor: "spiffe://t/rp", action: "agent.revoked", target: a.id, orgId: a.orgId, requestId: "r2", details: {} },
    ]);
    const te = storage.read.trustEvents;
    expect(await te.isVerifyDecision({ decisionId, agentId: a.id, relyingParty: "spiffe://t/rp" })).toBe(true);
    expect(await te.isVerifyDecision({ decisionId, agentId: a.id, relyingParty: "spiffe://t/other" })).toBe(false);
    expect(await te.isVerifyDecision({ decisionId, agentId: "agt_other", relyingParty: "spiffe://t/rp" })).toBe(false);
    expect(await te.isVerifyDecision({ decisionId: newId("evt"), agentId: a.id, relyingParty: "spiffe://t/rp" })).toBe(false);
  });

  it("writes trust state with optimistic versions", async () => {
    const ts = storage.read.trustState;
    expect(await ts.get(a.id)).toBeUndefined();
    expect(await ts.put({ agentId: a.id, modelVersion: "v1", state: { score: 0.5 }, updatedAtMs: BASE_MS }, 0)).toBe(true);
    expect(await ts.put({ agentId: a.id, modelVersion: "v1", state: { score: 0.6 }, updatedAtMs: BASE_MS }, 0)).toBe(false);
    expect(await ts.put({ agentId: a.id, modelVersion: "v1", state: { score: 0.7 }, updatedAtMs: BASE_MS + 1 }, 1)).toBe(true);
    expect(await ts.put({ agentId: a.id, modelVersion: "v1", state: { score: 0.8 }, updatedAtMs: BASE_MS + 2 }, 1)).toBe(false);
    expect(await ts.get(a.id)).toEqual({ agentId: a.id, modelVersion: "v1", state: { score: 0.7 }, version: 2, updatedAtMs: BASE_MS + 1 });
  });
});
