/** Proof of possession at registration and key rotation: good proofs pass, each fault is a precise invalid_argument. */
import { generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { CompactSign } from "jose";
import type { JWK } from "jose";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import type { AgentPublicJwk } from "../../src/domain/model.js";
import { parseAgentPublicJwk } from "../../src/domain/keys/agent-jwk.js";
import { verifyPossessionProof } from "../../src/domain/keys/possession-proof.js";
import type { PossessionExpectation } from "../../src/domain/keys/possession-proof.js";
import { jwkThumbprint } from "../../src/domain/keys/thumbprint.js";

const AUD = "https://identity.example.test";
const NOW = Date.UTC(2026, 0, 1, 12);
const ORG = "org_0123456789abcdefghjkmnpqrs";
const AGENT = "agt_0123456789abcdefghjkmnpqrs";

interface AgentKey {
  readonly privateKey: KeyObject;
  readonly jwk: AgentPublicJwk;
  readonly alg: "ES256" | "EdDSA";
}

function agentKey(kind: "ec" | "ed25519"): AgentKey {
  const pair = kind === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  const jwk = parseAgentPublicJwk(JSON.stringify(pair.publicKey.export({ format: "jwk" })), "public_jwk");
  return { privateKey: pair.privateKey, jwk, alg: kind === "ec" ? "ES256" : "EdDSA" };
}

async function proof(
  key: AgentKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: key.alg, typ: "agent-pop+jwt", ...header })
    .sign(key.privateKey);
}

async function registerClaims(key: AgentKey, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return { op: "agent.register", aud: AUD, org_id: ORG, jkt: await jwkThumbprint(key.jwk as JWK), iat: NOW / 1000, ...overrides };
}

const register: PossessionExpectation = { op: "agent.register", audience: AUD, orgId: ORG, nowMs: NOW, maxAgeSeconds: 60, futureSkewSeconds: 5 };
const rotate: PossessionExpectation = { op: "agent.rotate_key", audience: AUD, agentId: AGENT, nowMs: NOW, maxAgeSeconds: 60, futureSkewSeconds: 5 };

async function refusal(jws: string, jwk: AgentPublicJwk, expected: PossessionExpectation): Promise<string> {
  const error = await verifyPossessionProof(jws, jwk, expected).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  const domainError = error as DomainError;
  expect(domainError.kind).toBe("invalid_argument");
  expect(domainError.fieldViolations).toHaveLength(1);
  expect(domainError.fieldViolations[0]!.field).toBe("possession_proof");
  return domainError.fieldViolations[0]!.description;
}

describe("verifyPossessionProof", () => {
  for (const kind of ["ec", "ed25519"] as const) {
    it(`accepts a good registration proof (${kind})`, async () => {
      const key = agentKey(kind);
      const claims = await verifyPossessionProof(await proof(key, await registerClaims(key)), key.jwk, register);
      expect(claims).toMatchObject({ op: "agent.register", orgId: ORG, jkt: await jwkThumbprint(key.jwk as JWK) });
    });
  }

  it("accepts a good rotation proof with agent_id", async () => {
    const key = agentKey("ed25519");
    const jws = await proof(key, await registerClaims(key, { op: "agent.rotate_key", org_id: undefined, agent_id: AGENT }));
    await expect(verifyPossessionProof(jws, key.jwk, rotate)).resolves.toMatchObject({ agentId: AGENT });
  });

  it("refuses a proof signed by another key", async () => {
    const key = agentKey("ec");
    const other = agentKey("ec");
    const jws = await proof(other, await registerClaims(key));
    expect(await refusal(jws, key.jwk, register)).toBe("signature does not verify with the submitted public key");
  });

  it("refuses the wrong op (a registration proof replayed for a rotation)", async () => {
    const key = agentKey("ec");
    const jws = await proof(key, await registerClaims(key, { agent_id: AGENT }));
    expect(await refusal(jws, key.jwk, rotate)).toBe('op must be "agent.rotate_key"');
  });

  it("refuses a stale proof and one from the future", async () => {
    const key = agentKey("ed25519");
    const stale = await proof(key, await registerClaims(key, { iat: NOW / 1000 - 61 }));
    expect(await refusal(stale, key.jwk, register)).toBe("stale: iat is more than 60s old");
    const future = await proof(key, await registerClaims(key, { iat: NOW / 1000 + 6 }));
    expect(await refusal(future, key.jwk, register)).toBe("iat is more than 5s in the future");
    const edge = await proof(key, await registerClaims(key, { iat: NOW / 1000 - 60 }));
    await expect(verifyPossessionProof(edge, key.jwk, register)).resolves.toBeDefined();
    const aheadEdge = await proof(key, await registerClaims(key, { iat: NOW / 1000 + 5 }));
    await expect(verifyPossessionProof(aheadEdge, key.jwk, register)).resolves.toBeDefined();
  });

  it("refuses the wrong audience", async () => {
    const key = agentKey("ec");
    const jws = await proof(key, await registerClaims(key, { aud: "https://other.example.test" }));
    expect(await refusal(jws, key.jwk, register)).toBe(`aud must be "${AUD}"`);
  });

  it("refuses another org, another agent, a wrong jkt, a missing iat", async () => {
    const key = agentKey("ec");
    expect(await refusal(await proof(key, await registerClaims(key, { org_id: "org_other" })), key.jwk, register)).toBe(
      "org_id does not match the request",
    );
    const rot = await proof(key, await registerClaims(key, { op: "agent.rotate_key", agent_id: "agt_other" }));
    expect(await refusal(rot, key.jwk, rotate)).toBe("agent_id does not match the request");
    expect(await refusal(await proof(key, await registerClaims(key, { jkt: "x" })), key.jwk, register)).toMatch(/^jkt is not/);
    expect(await refusal(await proof(key, await registerClaims(key, { iat: "now" })), key.jwk, register)).toMatch(/^claim iat must be/);
  });

  it("refuses another typ, an alg that is not the key's, and alg none", async () => {
    const key = agentKey("ec");
    const claims = await registerClaims(key);
    expect(await refusal(await proof(key, claims, { typ: "agent-proof+jwt" }), key.jwk, register)).toBe(
      'typ must be "agent-pop+jwt"',
    );
    const ed = agentKey("ed25519");
    const edSigned = await proof(ed, claims);
    expect(await refusal(edSigned, key.jwk, register)).toBe("alg must be ES256");
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "agent-pop+jwt" })).toString("base64url");
    const unsigned = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
    expect(await refusal(unsigned, key.jwk, register)).toBe("alg must be ES256");
  });

  it("refuses envelopes that are not compact JWS", async () => {
    const key = agentKey("ec");
    expect(await refusal("", key.jwk, register)).toBe("required");
    expect(await refusal("a.b", key.jwk, register)).toMatch(/three dot-separated parts/);
    expect(await refusal("a.b.c!", key.jwk, register)).toMatch(/not base64url/);
    expect(await refusal(`${"a".repeat(9000)}.b.c`, key.jwk, register)).toMatch(/at most 8192 bytes/);
  });
});
