/** The agent-side helper: credential renewal before expiry, possession proofs, key handling. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from "jose";
import { ManualClock } from "../../src/domain/clock.js";
import { AgentIdentityClient } from "../../src/client/agent.js";

async function privateJwk(alg: "EdDSA" | "ES256") {
  return exportJWK((await generateKeyPair(alg, { extractable: true })).privateKey);
}

describe("AgentIdentityClient", () => {
  it("renews the credential through the callback once it is within renewBeforeMs of expiry", async () => {
    const clock = new ManualClock();
    const proofs: string[] = [];
    let n = 0;
    const client = await AgentIdentityClient.fromJwk(await privateJwk("EdDSA"), {
      clock,
      agentId: "agt_0000000000000000000000000a",
      serviceAudience: "https://issuer.test",
      renewBeforeMs: 60_000,
      renew: async (proof) => {
        proofs.push(proof);
        return { token: `cred-${++n}`, expiresAtMs: clock.nowMs() + 3_600_000 };
      },
    });
    client.setCredential("cred-0", clock.nowMs() + 3_600_000);
    expect(await client.credential()).toBe("cred-0");
    clock.advance(3_600_000 - 59_000);
    const [a, b] = await Promise.all([client.credential(), client.credential()]);
    expect([a, b]).toEqual(["cred-1", "cred-1"]);
    expect(proofs).toHaveLength(1);
    const { payload } = await compactVerify(proofs[0]!, await importJWK({ ...client.publicJwk }, "EdDSA"));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
      op: "credential.renew",
      scope: "agent.credential",
      aud: "https://issuer.test",
      amt: 0,
      cur: "",
      ath: createHash("sha256").update("agt_0000000000000000000000000a").digest("base64url"),
    });
  });

  it("makes possession proofs with typ agent-pop+jwt and the key thumbprint", async () => {
    const client = await AgentIdentityClient.fromJwk(await privateJwk("ES256"));
    const pop = await client.makePossessionProof({ op: "agent.rotate_key", audience: "https://issuer.test", orgId: "org_1", agentId: "agt_1" });
    expect(decodeProtectedHeader(pop)).toEqual({ alg: "ES256", typ: "agent-pop+jwt" });
    const { payload } = await compactVerify(pop, await importJWK({ ...client.publicJwk }, "ES256"));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ op: "agent.rotate_key", org_id: "org_1", agent_id: "agt_1", jkt: client.thumbprint });
  });

  it("refuses public-only keys and negative amounts", async () => {
    const jwk = await privateJwk("EdDSA");
    await expect(AgentIdentityClient.fromJwk({ kty: jwk.kty, crv: jwk.crv, x: jwk.x })).rejects.toThrow(/private/);
    const client = await AgentIdentityClient.fromJwk(jwk);
    expect(() => client.makeProof({ audience: "a", scope: "s", op: "o", amountMinor: -1, currency: "", credentialOrSession: "c" })).toThrow(/amountMinor/);
  });
});
