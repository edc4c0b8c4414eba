/** End to end over mTLS: an agent's whole life (register, JWKS, self renewal, key rotation, capability update, revoke). */
import { createHash } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentStatus } from "../../gen/agentidentity/v1/common_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { databaseTargets, redisTarget } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { PAYMENTS_MANIFEST, newAgentKey, registerAgent, verifyOnce, type RegisteredAgent } from "../support/agents.js";
import { failureOf } from "../support/errors.js";
import { getJwksOverHttp } from "../support/wire.js";

describe.each(databaseTargets())("agent lifecycle end to end on $name (redis when TEST_REDIS_URL is set)", (target) => {
  const redis = redisTarget();
  let t: TestApp;
  let admin: Awaited<ReturnType<TestApp["adminClients"]>>;
  let orgId: string;
  /** Read-only in the tests below: the ones that change an agent register their own. */
  let agent: RegisteredAgent;

  beforeAll(async () => {
    t = await startTestApp({ database: target, redis });
    admin = await t.adminClients();
    orgId = (await admin.admin.createOrg({ name: `Lifecycle ${target.name}` })).org!.id;
    agent = await registerAgent(t, { registry: admin.registry, orgId });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.cleanup();
  });

  it("the first credential verifies with jose against GetJwks (mTLS) and the sidecar JWKS (cache headers)", async () => {
    const issuer = t.config.issuer.issuerUrl;
    const overGrpc = JSON.parse((await t.verifier().getJwks({})).jwksJson) as JSONWebKeySet;
    const res = await fetch(`http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const overSidecar = (await res.json()) as JSONWebKeySet;
    expect(overSidecar.keys.map((k) => k.kid).sort()).toEqual(overGrpc.keys.map((k) => k.kid).sort());
    for (const jwks of [overGrpc, overSidecar]) {
      for (const k of jwks.keys) expect(k).not.toHaveProperty("d");
      const { payload, protectedHeader } = await jwtVerify(agent.credential, createLocalJWKSet(jwks), { issuer, typ: "agent-cred+jwt" });
      expect(payload.sub).toBe(agent.agentId);
      expect(protectedHeader.kid).toBeDefined();
    }
    const ok = await verifyOnce(t, t.verifier(), agent.key, agent.credential);
    expect(ok.reasonCode).toBe("verified");
    expect(ok.agentId).toBe(agent.agentId);
  });

  it.each(["sidecar", "browser"] as const)(
    "/.well-known/jwks.json on the %s listener: the GetJwks keys, Cache-Control public, max-age=300, a strong ETag, 304 on If-None-Match",
    async (listener) => {
      const res = await getJwksOverHttp(t, listener);
      expect(res.status).toBe(200);
      expect(res.headers["cache-control"]).toBe("public, max-age=300");
      expect(res.headers.etag).toBe(`"${createHash("sha256").update(res.body).digest("base64url")}"`);
      expect(res.body).toBe((await t.verifier().getJwks({})).jwksJson);
      const etag = String(res.headers.etag);
      for (const ifNoneMatch of [etag, `W/${etag}`]) {
        const again = await getJwksOverHttp(t, listener, { "if-none-match": ifNoneMatch });
        expect({ status: again.status, body: again.body, etag: again.headers.etag, cache: again.headers["cache-control"] }).toEqual({
          status: 304,
          body: "",
          etag,
          cache: "public, max-age=300",
        });
      }
      expect((await getJwksOverHttp(t, listener, { "if-none-match": '"stale"' })).status).toBe(200);
    },
  );

  it("the agent renews its own credential with its certificate and a renewal proof; a replayed proof is refused", async () => {
    const self = t.client(AgentRegistryService, "agent");
    // Right after registration, with no Verify of the agent before (no rate-limit state in the replay store yet).
    const fresh = await registerAgent(t, { registry: admin.registry, orgId, displayName: "fresh bot" });
    const freshProof = await fresh.key.makeRenewalProof();
    expect((await self.issueCredential({ agentId: fresh.agentId, proof: freshProof })).credential!.token).toMatch(/^ey/);
    const freshReplay = await failureOf(self.issueCredential({ agentId: fresh.agentId, proof: freshProof }));
    expect(freshReplay.code).toBe(Code.Unauthenticated);
    expect(freshReplay.rawMessage).toContain("nonce_replay");

    const proof = await agent.key.makeRenewalProof();
    const renewed = await self.issueCredential({ agentId: agent.agentId, proof });
    const token = renewed.credential!.token;
    expect(token).not.toBe(agent.credential);
    expect((await verifyOnce(t, t.verifier(), agent.key, token)).reasonCode).toBe("verified");

    const replay = await failureOf(self.issueCredential({ agentId: agent.agentId, proof }));
    expect(replay.code).toBe(Code.Unauthenticated);
    expect(replay.rawMessage).toContain("nonce_replay");

    const noProof = await failureOf(self.issueCredential({ agentId: agent.agentId, proof: "" }));
    expect(noProof.code).toBe(Code.InvalidArgument);
  });

  it("RotateAgentKey: the old credential and the old key are refused, the new credential verifies", async () => {
    const agent = await registerAgent(t, { registry: admin.registry, orgId, displayName: "rotated bot" });
    const { client: newKey } = await newAgentKey(t.config.issuer.issuerUrl, { alg: "ES256" });
    newKey.agentId = agent.agentId;
    const rotated = await admin.registry.rotateAgentKey({
      agentId: agent.agentId,
      publicJwk: JSON.stringify(newKey.publicJwk),
      possessionProof: await newKey.makePossessionProof({
        op: "agent.rotate_key",
        audience: t.config.issuer.issuerUrl,
        orgId,
        agentId: agent.agentId,
      }),
    });
    expect(rotated.agent!.keyThumbprint).toBe(newKey.thumbprint);
    expect(rotated.agent!.stateVersion).toBeGreaterThan(1n);
    const newCredential = rotated.credential!.token;

    const verifier = t.verifier();
    // The old credential (bound to the old key) with a proof by the old key.
    const oldCredential = await verifyOnce(t, verifier, agent.key, agent.credential);
    expect(oldCredential.valid).toBe(false);
    expect(oldCredential.reasonCode).toBe("key_mismatch");
    // The old key's proof presented with the new credential: the signature does not verify with the new key.
    const oldKeyProof = await verifyOnce(t, verifier, agent.key, newCredential);
    expect(oldKeyProof.valid).toBe(false);
    expect(oldKeyProof.reasonCode).toBe("bad_signature");
    // The old key can no longer renew.
    const oldRenewal = await failureOf(t.client(AgentRegistryService, "agent").issueCredential({ agentId: agent.agentId, proof: await agent.key.makeRenewalProof() }));
    expect(oldRenewal.code).toBe(Code.Unauthenticated);

    const fresh = await verifyOnce(t, verifier, newKey, newCredential);
    expect(fresh.reasonCode).toBe("verified");
  });

  it("UpdateCapabilities: a credential from before is refused (credential_mismatch), the new one verifies", async () => {
    const agent = await registerAgent(t, { registry: admin.registry, orgId, displayName: "updated bot" });
    const before = agent.credential;
    const updated = await admin.registry.updateCapabilities({
      agentId: agent.agentId,
      capabilities: { ...PAYMENTS_MANIFEST, scopes: [...PAYMENTS_MANIFEST.scopes, "refunds:write"] },
    });
    expect(updated.agent!.capabilities!.scopes).toContain("refunds:write");
    const verifier = t.verifier();
    const stale = await verifyOnce(t, verifier, agent.key, before);
    expect(stale.valid).toBe(false);
    expect(stale.reasonCode).toBe("credential_mismatch");
    const current = await verifyOnce(t, verifier, agent.key, updated.credential!.token);
    expect(current.reasonCode).toBe("verified");
  });

  it("RevokeAgent: renewal refused, Verify says revoked, GetAgent shows who and why; a second revoke keeps the first time", async () => {
    const agent = await registerAgent(t, { registry: admin.registry, orgId, displayName: "revoked bot" });
    const revoked = await admin.registry.revokeAgent({ agentId: agent.agentId, reason: "key leaked in a log" });
    expect(revoked.agent!.status).toBe(AgentStatus.REVOKED);

    const renewal = await failureOf(t.client(AgentRegistryService, "agent").issueCredential({ agentId: agent.agentId, proof: await agent.key.makeRenewalProof() }));
    expect(renewal.code).toBe(Code.Unauthenticated);
    const adminRenewal = await failureOf(admin.registry.issueCredential({ agentId: agent.agentId }));
    expect(adminRenewal.code).toBe(Code.FailedPrecondition);

    const decision = await verifyOnce(t, t.verifier(), agent.key, agent.credential);
    expect(decision.valid).toBe(false);
    expect(decision.reasonCode).toBe("revoked");

    const { agent: read } = await admin.registry.getAgent({ agentId: agent.agentId });
    expect(read!.status).toBe(AgentStatus.REVOKED);
    expect(read!.revokedBy).toBe(t.material.clients.admin.identity);
    expect(read!.revokeReason).toBe("key leaked in a log");
    expect(read!.revokeTime).toBeDefined();

    const again = await admin.registry.revokeAgent({ agentId: agent.agentId, reason: "second attempt" });
    expect(again.agent!.revokeTime).toEqual(read!.revokeTime);
    expect(again.agent!.revokeReason).toBe("key leaked in a log");
    expect(again.agent!.stateVersion).toBe(read!.stateVersion);
    const revokeEvents = await admin.admin.listAuditEvents({ action: "agent.revoked", orgId });
    expect(revokeEvents.events.filter((e) => e.target === agent.agentId)).toHaveLength(1);

    const unknown = "agt_00000000000000000000000000";
    expect((await failureOf(admin.registry.revokeAgent({ agentId: unknown, reason: "x" }))).code).toBe(Code.NotFound);
    expect((await failureOf(admin.registry.getAgent({ agentId: unknown }))).code).toBe(Code.NotFound);

    const rotateAfter = await failureOf(admin.registry.updateCapabilities({ agentId: agent.agentId, capabilities: PAYMENTS_MANIFEST }));
    expect(rotateAfter.code).toBe(Code.FailedPrecondition);
  });

  it("two concurrent revokes of one agent: one revocation, one audit event, both answers agree", async () => {
    const target = await registerAgent(t, { registry: admin.registry, orgId, displayName: "raced bot" });
    const [a, b] = await Promise.all([
      admin.registry.revokeAgent({ agentId: target.agentId, reason: "first" }),
      admin.registry.revokeAgent({ agentId: target.agentId, reason: "second" }),
    ]);
    expect(a.agent!.revokeTime).toEqual(b.agent!.revokeTime);
    expect(a.agent!.revokeReason).toBe(b.agent!.revokeReason);
    expect(a.agent!.stateVersion).toBe(b.agent!.stateVersion);
    const events = await admin.admin.listAuditEvents({ action: "agent.revoked", orgId, pageSize: 500 });
    expect(events.events.filter((e) => e.target === target.agentId)).toHaveLength(1);
  });
});
