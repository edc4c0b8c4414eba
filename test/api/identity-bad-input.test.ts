/** API tier: bad keys, failed possession proofs, unknown orgs and bad fields are refused naming the field, and write nothing. */
import { Code, type ConnectError } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiHarness, type ApiHarness } from "../support/api-harness.js";
import { PAYMENTS_MANIFEST, newAgentKey, registerAgent } from "../support/agents.js";
import { failureOf, violatedFields } from "../support/errors.js";

async function publicJwkOf(alg: string, options: { crv?: string } = {}): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return exportJWK(publicKey);
}

function expectFieldError(err: ConnectError, field: string): void {
  expect(err.code).toBe(Code.InvalidArgument);
  // The google.rpc.BadRequest detail names the field, and so does the message.
  expect(violatedFields(err)).toContain(field);
  expect(err.rawMessage).toContain(field);
}

describe("bad input through the API tier (router transport, embedded adapters)", () => {
  let t: ApiHarness;
  let admin: Awaited<ReturnType<ApiHarness["adminClients"]>>;
  let orgId: string;
  let otherOrgId: string;
  let audience: string;

  beforeAll(async () => {
    t = await openApiHarness();
    admin = await t.adminClients();
    audience = t.config.issuer.issuerUrl;
    orgId = (await admin.admin.createOrg({ name: "Bad input" })).org!.id;
    otherOrgId = (await admin.admin.createOrg({ name: "Other" })).org!.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** What a refused call must leave unchanged: the agents of the org and the head of the audit log. */
  async function snapshot(): Promise<{ agents: string[]; auditHead: string }> {
    const agents = (await admin.registry.listAgents({ orgId, pageSize: 200 })).agents.map((a) => a.id);
    const head = (await admin.admin.listAuditEvents({ pageSize: 1 })).events[0];
    return { agents, auditHead: `${head?.seq ?? 0n}:${head?.id ?? ""}` };
  }

  it("every bad JWK kind through RegisterAgent is INVALID_ARGUMENT naming public_jwk", async () => {
    const { client: validKey, privateJwk } = await newAgentKey(t.config.issuer.issuerUrl);
    const p256 = validKey.publicJwk as { x: string; y: string };
    const edKey = await newAgentKey(t.config.issuer.issuerUrl, { alg: "EdDSA" });
    const flipped = (b64: string) => (b64[0] === "A" ? "B" : "A") + b64.slice(1);
    const badKeys: Record<string, string> = {
      "private EC key (d present)": JSON.stringify(privateJwk),
      "private Ed25519 key (d present)": JSON.stringify(edKey.privateJwk),
      "RSA key": JSON.stringify(await publicJwkOf("RS256")),
      "P-384 key": JSON.stringify(await publicJwkOf("ES384")),
      "X25519 key": JSON.stringify(await publicJwkOf("ECDH-ES", { crv: "X25519" })),
      "symmetric key": JSON.stringify({ kty: "oct", k: "c2VjcmV0" }),
      "malformed JSON": '{"kty":"EC",',
      "JSON array": "[]",
      "P-256 point not on the curve": JSON.stringify({ kty: "EC", crv: "P-256", x: p256.x, y: flipped(p256.y) }),
      "P-256 coordinate of the wrong length": JSON.stringify({ kty: "EC", crv: "P-256", x: p256.x.slice(4), y: p256.y }),
      "Ed25519 x of the wrong length": JSON.stringify({ kty: "OKP", crv: "Ed25519", x: "AAAA" }),
      "missing kty": JSON.stringify({ crv: "P-256", x: p256.x, y: p256.y }),
    };
    const before = await snapshot();
    for (const [kind, publicJwk] of Object.entries(badKeys)) {
      const err = await failureOf(
        admin.registry.registerAgent({
          orgId,
          displayName: "bad key",
          publicJwk,
          capabilities: PAYMENTS_MANIFEST,
          possessionProof: await validKey.makePossessionProof({ op: "agent.register", audience, orgId }),
        }),
      );
      expect.soft(err.code, kind).toBe(Code.InvalidArgument);
      expect.soft(violatedFields(err), kind).toContain("public_jwk");
    }
    // Rotation takes the same rules.
    const agent = await registerAgent(t, { registry: admin.registry, orgId, displayName: "rotation target" });
    const afterRegister = await snapshot();
    const rotate = await failureOf(
      admin.registry.rotateAgentKey({
        agentId: agent.agentId,
        publicJwk: badKeys["P-384 key"]!,
        possessionProof: await validKey.makePossessionProof({ op: "agent.rotate_key", audience, orgId, agentId: agent.agentId }),
      }),
    );
    expectFieldError(rotate, "public_jwk");
    const sameKey = await failureOf(
      admin.registry.rotateAgentKey({
        agentId: agent.agentId,
        publicJwk: JSON.stringify(agent.key.publicJwk),
        possessionProof: await agent.key.makePossessionProof({ op: "agent.rotate_key", audience, orgId, agentId: agent.agentId }),
      }),
    );
    expectFieldError(sameKey, "public_jwk");
    // A rotation proof made for another agent, and a registration proof, do not rotate this one.
    const { client: next } = await newAgentKey(t.config.issuer.issuerUrl);
    for (const possessionProof of [
      await next.makePossessionProof({ op: "agent.rotate_key", audience, orgId, agentId: "agt_00000000000000000000000000" }),
      await next.makePossessionProof({ op: "agent.register", audience, orgId }),
    ]) {
      const err = await failureOf(admin.registry.rotateAgentKey({ agentId: agent.agentId, publicJwk: JSON.stringify(next.publicJwk), possessionProof }));
      expectFieldError(err, "possession_proof");
    }
    expect(await snapshot()).toEqual(afterRegister);
    expect(afterRegister.agents).toEqual([...before.agents, agent.agentId]);
  });

  it("failed possession proofs (wrong key, wrong op, stale, wrong org, wrong audience, garbage) name possession_proof", async () => {
    const { client: key } = await newAgentKey(t.config.issuer.issuerUrl);
    const { client: otherKey } = await newAgentKey(t.config.issuer.issuerUrl);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const proofs: Record<string, string> = {
      "signed by another key": await otherKey.makePossessionProof({ op: "agent.register", audience, orgId }),
      "wrong op": await key.makePossessionProof({ op: "agent.rotate_key", audience, orgId }),
      stale: await key.makePossessionProof({ op: "agent.register", audience, orgId, iatSeconds: nowSeconds - 3600 }),
      "from the future": await key.makePossessionProof({ op: "agent.register", audience, orgId, iatSeconds: nowSeconds + 3600 }),
      "for another org": await key.makePossessionProof({ op: "agent.register", audience, orgId: otherOrgId }),
      "for another audience": await key.makePossessionProof({ op: "agent.register", audience: "https://elsewhere.example", orgId }),
      "not a JWS": "not-a-jws",
    };
    const before = await snapshot();
    for (const [kind, possessionProof] of Object.entries(proofs)) {
      const err = await failureOf(
        admin.registry.registerAgent({ orgId, displayName: "pop", publicJwk: JSON.stringify(key.publicJwk), capabilities: PAYMENTS_MANIFEST, possessionProof }),
      );
      expect.soft(err.code, kind).toBe(Code.InvalidArgument);
      expect.soft(violatedFields(err), kind).toEqual(["possession_proof"]);
      expect.soft(err.rawMessage, kind).toContain("possession_proof");
    }
    const missing = await failureOf(
      admin.registry.registerAgent({ orgId, displayName: "pop", publicJwk: JSON.stringify(key.publicJwk), capabilities: PAYMENTS_MANIFEST, possessionProof: "" }),
    );
    expectFieldError(missing, "possession_proof");
    expect(await snapshot()).toEqual(before);
  });

  it("an unknown org is NOT_FOUND and writes nothing", async () => {
    const { client: key } = await newAgentKey(t.config.issuer.issuerUrl);
    const unknownOrg = "org_00000000000000000000000000";
    const before = await snapshot();
    const err = await failureOf(
      admin.registry.registerAgent({
        orgId: unknownOrg,
        displayName: "lost",
        publicJwk: JSON.stringify(key.publicJwk),
        capabilities: PAYMENTS_MANIFEST,
        possessionProof: await key.makePossessionProof({ op: "agent.register", audience, orgId: unknownOrg }),
      }),
    );
    expect(err.code).toBe(Code.NotFound);
    expect((await admin.admin.getOrg({ orgId: unknownOrg }).catch((e: unknown) => e)) as ConnectError).toHaveProperty("code", Code.NotFound);
    expect(await snapshot()).toEqual(before);
  });

  it("bad display names, scopes, operations, limits and org names are INVALID_ARGUMENT naming the field", async () => {
    const { client: key } = await newAgentKey(t.config.issuer.issuerUrl);
    const register = async (overrides: { displayName?: string; capabilities?: typeof PAYMENTS_MANIFEST }) =>
      failureOf(
        admin.registry.registerAgent({
          orgId,
          displayName: overrides.displayName ?? "fine name",
          publicJwk: JSON.stringify(key.publicJwk),
          capabilities: overrides.capabilities ?? PAYMENTS_MANIFEST,
          possessionProof: await key.makePossessionProof({ op: "agent.register", audience, orgId }),
        }),
      );
    const before = await snapshot();
    expectFieldError(await register({ displayName: "" }), "display_name");
    expectFieldError(await register({ displayName: "   " }), "display_name");
    expectFieldError(await register({ displayName: "x".repeat(201) }), "display_name");
    expectFieldError(await register({ displayName: "line\nbreak" }), "display_name");
    expectFieldError(await register({ capabilities: { ...PAYMENTS_MANIFEST, scopes: ["has space"] } }), "capabilities.scopes[0]");
    expectFieldError(await register({ capabilities: { ...PAYMENTS_MANIFEST, scopes: ["a", "a"] } }), "capabilities.scopes[1]");
    expectFieldError(await register({ capabilities: { ...PAYMENTS_MANIFEST, operations: ["x".repeat(129)] } }), "capabilities.operations[0]");
    expectFieldError(
      await register({ capabilities: { ...PAYMENTS_MANIFEST, amountLimits: [{ currency: "euro", maxAmountMinor: 1n }] } }),
      "capabilities.amount_limits[0].currency",
    );
    expectFieldError(await failureOf(admin.admin.createOrg({ name: "" })), "name");
    expectFieldError(await failureOf(admin.admin.createOrg({ name: "y".repeat(201) })), "name");
    expect(await snapshot()).toEqual(before);
    const orgs = await admin.admin.listOrgs({ pageSize: 200 });
    expect(orgs.orgs.map((o) => o.id).sort()).toEqual([orgId, otherOrgId].sort());
  });
});
