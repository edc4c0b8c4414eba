// AgentRegistryService through the router transport with the real interceptor chain: every RPC's success and refusals.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentStatus } from "../../gen/agentidentity/v1/common_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { newAgentKey, PAYMENTS_MANIFEST, registerAgent, verifyOnce, type RegisteredAgent } from "../support/agents.js";
import { openApiHarness, type ApiHarness } from "../support/api-harness.js";
import { expectRefused } from "../support/refusals.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await openApiHarness();
});
afterAll(async () => {
  await h?.close();
});

const UNKNOWN_AGENT = "agt_00000000000000000000000000";
const UNKNOWN_ORG = "org_00000000000000000000000000";

/** A fresh agent in a fresh org, registered through the admin registry client. */
function freshAgent(): Promise<RegisteredAgent> {
  return registerAgent(h);
}

describe("RegisterAgent", () => {
  it("registers an agent with its first credential", async () => {
    const a = await freshAgent();
    const { agent } = await (await h.adminClients()).registry.getAgent({ agentId: a.agentId });
    expect(agent!.orgId).toBe(a.orgId);
    expect(agent!.keyThumbprint).toBe(a.key.thumbprint);
    expect(a.credential.split(".")).toHaveLength(3);
  });

  it("refuses an unknown org, a possession proof by another key, a bad scope, no admin token and a relying party", async () => {
    const { registry, admin } = await h.adminClients();
    const { org } = await admin.createOrg({ name: `refusals ${Math.random()}` });
    const audience = h.config.issuer.issuerUrl;
    await expectRefused(registerAgent(h, { registry, orgId: UNKNOWN_ORG }), Code.NotFound, "org.not_found");
    const { client: key } = await newAgentKey(audience);
    const { client: other } = await newAgentKey(audience);
    const base = { orgId: org!.id, displayName: "bot", publicJwk: JSON.stringify(key.publicJwk), capabilities: PAYMENTS_MANIFEST };
    const foreignProof = await other.makePossessionProof({ op: "agent.register", audience, orgId: org!.id });
    await expectRefused(registry.registerAgent({ ...base, possessionProof: foreignProof }), Code.InvalidArgument, "agent.possession_proof_invalid");
    const proof = await key.makePossessionProof({ op: "agent.register", audience, orgId: org!.id });
    await expectRefused(
      registry.registerAgent({ ...base, capabilities: { ...PAYMENTS_MANIFEST, scopes: ["has space"] }, possessionProof: proof }),
      Code.InvalidArgument,
      "agent.invalid",
      "capabilities.scopes[0]",
    );
    await expectRefused(h.clientAs(AgentRegistryService, "admin").registerAgent({ ...base, possessionProof: proof }), Code.Unauthenticated, "admin.token_missing");
    await expectRefused(h.clientAs(AgentRegistryService, "relyingParty").registerAgent({ ...base, possessionProof: proof }), Code.PermissionDenied, "auth.role_required");
  });
});

describe("GetAgent and ListAgents", () => {
  it("reads an agent as admin and as a relying party allowed its org; lists by org and status", async () => {
    const a = await freshAgent();
    const { registry } = await h.adminClients();
    expect((await registry.getAgent({ agentId: a.agentId })).agent!.id).toBe(a.agentId);
    const rp = h.clientAs(AgentRegistryService, "relyingParty");
    expect((await rp.getAgent({ agentId: a.agentId })).agent!.id).toBe(a.agentId);
    const listed = await rp.listAgents({ orgId: a.orgId, status: AgentStatus.ACTIVE });
    expect(listed.agents.map((x) => x.id)).toEqual([a.agentId]);
  });

  it("refuses an unknown or malformed id, an unknown status, an agent peer and a relying party without an org", async () => {
    const { registry } = await h.adminClients();
    await expectRefused(registry.getAgent({ agentId: UNKNOWN_AGENT }), Code.NotFound, "agent.not_found");
    await expectRefused(registry.getAgent({ agentId: "nope" }), Code.InvalidArgument, "agent.invalid_id", "agent_id");
    await expectRefused(registry.listAgents({ status: 99 as AgentStatus }), Code.InvalidArgument, "agent.invalid_status", "status");
    await expectRefused(h.clientAs(AgentRegistryService, "agent").getAgent({ agentId: UNKNOWN_AGENT }), Code.PermissionDenied, "auth.role_required");
    await expectRefused(h.clientAs(AgentRegistryService, "relyingParty").listAgents({}), Code.InvalidArgument, "agent.list_org_required", "org_id");
  });
});

describe("RevokeAgent, RotateAgentKey, UpdateCapabilities", () => {
  it("rotates the key, updates the capabilities (new credentials each) and revokes", async () => {
    const a = await freshAgent();
    const { registry } = await h.adminClients();
    const audience = h.config.issuer.issuerUrl;
    const { client: next } = await newAgentKey(audience, { agentId: a.agentId });
    const rotated = await registry.rotateAgentKey({
      agentId: a.agentId,
      publicJwk: JSON.stringify(next.publicJwk),
      possessionProof: await next.makePossessionProof({ op: "agent.rotate_key", audience, orgId: a.orgId, agentId: a.agentId }),
    });
    expect(rotated.agent!.keyThumbprint).toBe(next.thumbprint);
    const updated = await registry.updateCapabilities({ agentId: a.agentId, capabilities: { ...PAYMENTS_MANIFEST, scopes: ["payments:write"] } });
    expect(updated.agent!.capabilities!.scopes).toEqual(["payments:write"]);
    expect(updated.credential!.token).not.toBe(rotated.credential!.token);
    const revoked = await registry.revokeAgent({ agentId: a.agentId, reason: "retired" });
    expect(revoked.agent!.revokeReason).toBe("retired");
    expect(revoked.agent!.status).toBe(AgentStatus.REVOKED);
  });

  it("refuses the same key on rotation, a bad manifest, an unknown agent and changes to a revoked agent", async () => {
    const a = await freshAgent();
    const { registry } = await h.adminClients();
    const audience = h.config.issuer.issuerUrl;
    const sameKeyProof = await a.key.makePossessionProof({ op: "agent.rotate_key", audience, orgId: a.orgId, agentId: a.agentId });
    await expectRefused(
      registry.rotateAgentKey({ agentId: a.agentId, publicJwk: JSON.stringify(a.key.publicJwk), possessionProof: sameKeyProof }),
      Code.InvalidArgument,
      "agent.key_unchanged",
      "public_jwk",
    );
    await expectRefused(
      registry.updateCapabilities({ agentId: a.agentId, capabilities: { ...PAYMENTS_MANIFEST, scopes: ["a", "a"] } }),
      Code.InvalidArgument,
      "agent.invalid",
      "capabilities.scopes[1]",
    );
    await expectRefused(registry.revokeAgent({ agentId: UNKNOWN_AGENT, reason: "x" }), Code.NotFound, "agent.not_found");
    await registry.revokeAgent({ agentId: a.agentId, reason: "gone" });
    await expectRefused(registry.updateCapabilities({ agentId: a.agentId, capabilities: PAYMENTS_MANIFEST }), Code.FailedPrecondition, "agent.revoked");
  });
});

describe("IssueCredential", () => {
  it("renews for the agent itself (renewal proof) and for an admin", async () => {
    const a = await freshAgent();
    const self = h.clientAs(AgentRegistryService, "agent");
    const renewed = await self.issueCredential({ agentId: a.agentId, proof: await a.key.makeRenewalProof() });
    expect((await verifyOnce(h, h.verifier(), a.key, renewed.credential!.token)).reasonCode).toBe("verified");
    const { registry } = await h.adminClients();
    expect((await registry.issueCredential({ agentId: a.agentId })).credential!.token.split(".")).toHaveLength(3);
  });

  it("refuses an agent without a proof, a proof by another key and a relying party", async () => {
    const a = await freshAgent();
    const b = await freshAgent();
    const self = h.clientAs(AgentRegistryService, "agent");
    await expectRefused(self.issueCredential({ agentId: a.agentId }), Code.InvalidArgument, "credential.proof_required", "proof");
    await expectRefused(self.issueCredential({ agentId: a.agentId, proof: await b.key.makeRenewalProof() }), Code.Unauthenticated, "credential.renewal_refused");
    await expectRefused(h.clientAs(AgentRegistryService, "relyingParty").issueCredential({ agentId: a.agentId }), Code.PermissionDenied, "auth.role_required");
  });
});

describe("ReportTelemetry and GetTrustScore", () => {
  it("takes a relying party's report about its own decision and scores the agent", async () => {
    const a = await freshAgent();
    const decision = await verifyOnce(h, h.verifier(), a.key, a.credential);
    const rp = h.clientAs(AgentRegistryService, "relyingParty");
    const report = { agentId: a.agentId, eventType: "payment.completed", success: true, latencyMs: 80, slaMet: true, dispute: false };
    const res = await rp.reportTelemetry({ ...report, decisionId: decision.decisionId });
    expect(res.eventId).toMatch(/^tev_/);
    const score = await rp.getTrustScore({ agentId: a.agentId });
    expect(score.agentId).toBe(a.agentId);
    expect(score.trustScore!.score).toBe(res.trustScore!.score);
  });

  it("refuses a report without or with someone else's decision, an agent reporter and an unknown agent's score", async () => {
    const a = await freshAgent();
    const rp = h.clientAs(AgentRegistryService, "relyingParty");
    const report = { agentId: a.agentId, eventType: "payment.completed", success: true, latencyMs: 80, slaMet: true, dispute: false };
    await expectRefused(rp.reportTelemetry(report), Code.InvalidArgument, "telemetry.decision_required", "decision_id");
    await expectRefused(rp.reportTelemetry({ ...report, decisionId: "evt_00000000000000000000000000" }), Code.PermissionDenied, "telemetry.decision_unknown");
    await expectRefused(h.clientAs(AgentRegistryService, "agent").reportTelemetry(report), Code.PermissionDenied, "auth.role_required");
    await expectRefused(rp.getTrustScore({ agentId: UNKNOWN_AGENT }), Code.NotFound, "agent.not_found");
  });
});
