// End to end over real mTLS: register -> verify credential against the JWKS -> verify a proof -> renew -> rotate -> revoke.
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { newAgentKey, registerAgent, verifyOnce } from "../support/agents.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets } from "../support/databases.js";
import { failureOf } from "../support/errors.js";

describe.each(databaseTargets())("agent lifecycle on $name", (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: target });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("registers, verifies, renews, rotates and revokes", async () => {
    const { registry } = await t.adminClients();
    const audience = t.config.issuer.issuerUrl;
    const agent = await registerAgent(t, { registry });
    const verifier = t.verifier();

    // The credential verifies offline against the published JWKS.
    const jwks = JSON.parse((await verifier.getJwks({})).jwksJson) as { keys: [] };
    const { payload, protectedHeader } = await jwtVerify(agent.credential, createLocalJWKSet(jwks), { issuer: audience, typ: "agent-cred+jwt" });
    expect(payload.sub).toBe(agent.agentId);
    expect(protectedHeader.alg).toBe("ES256");

    // A fresh proof verifies.
    const ok = await verifyOnce(t, verifier, agent.key, agent.credential);
    expect(ok.reasonCode).toBe("verified");
    expect(ok.valid).toBe(true);
    expect(ok.decisionId).toMatch(/^evt_/);

    // The agent renews its own credential (agent certificate, no admin token); the renewed one verifies.
    const renewed = await t.client(AgentRegistryService, "agent").issueCredential({ agentId: agent.agentId, proof: await agent.key.makeRenewalProof() });
    expect((await verifyOnce(t, verifier, agent.key, renewed.credential!.token)).reasonCode).toBe("verified");

    // The admin rotates the key: the new key's credential verifies, the old key's proofs no longer do.
    const { client: nextKey } = await newAgentKey(audience, { agentId: agent.agentId });
    const rotated = await registry.rotateAgentKey({
      agentId: agent.agentId,
      publicJwk: JSON.stringify(nextKey.publicJwk),
      possessionProof: await nextKey.makePossessionProof({ op: "agent.rotate_key", audience, orgId: agent.orgId, agentId: agent.agentId }),
    });
    const rotatedCredential = rotated.credential!.token;
    expect((await verifyOnce(t, verifier, nextKey, rotatedCredential)).reasonCode).toBe("verified");
    expect((await verifyOnce(t, verifier, agent.key, rotatedCredential)).reasonCode).toBe("bad_signature");

    // Revocation: the agent's credential is refused at once and it can no longer renew.
    const revoked = await registry.revokeAgent({ agentId: agent.agentId, reason: "lifecycle test" });
    expect(revoked.agent!.revokeTime).toBeDefined();
    const afterRevoke = await verifyOnce(t, verifier, nextKey, rotatedCredential);
    expect(afterRevoke.valid).toBe(false);
    expect(afterRevoke.reasonCode).toBe("revoked");
    const renewal = await failureOf(
      t.client(AgentRegistryService, "agent").issueCredential({ agentId: agent.agentId, proof: await nextKey.makeRenewalProof() }),
    );
    expect([Code.FailedPrecondition, Code.Unauthenticated, Code.PermissionDenied]).toContain(renewal.code);
  });

  it("refuses to register an agent in an unknown org (NOT_FOUND)", async () => {
    const { registry } = await t.adminClients();
    const err = await failureOf(registerAgent(t, { registry, orgId: "org_00000000000000000000000000", alg: "EdDSA" }));
    expect(err.code).toBe(Code.NotFound);
  });
});
