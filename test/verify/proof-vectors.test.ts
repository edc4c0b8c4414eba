/** The test vectors of docs/proof-format.md, read from the markdown and checked against the code. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { JWK } from "jose";
import { AgentIdentityClient } from "../../src/client/agent.js";
import type { AgentPublicJwk, CapabilityManifest } from "../../src/domain/model.js";
import { PROOF, tokenHash } from "../../src/domain/tokens/index.js";
import { checkPolicy, ProofChecker, requestMismatch } from "../../src/domain/verify/index.js";

interface KeyVector {
  privateJwk: JWK;
  thumbprint: string;
  expectedJws?: string;
  verifyingJws?: string;
}

const doc = readFileSync(new URL("../../docs/proof-format.md", import.meta.url), "utf8");
const block = /```json proof-vectors\n([\s\S]*?)```/.exec(doc)?.[1];
const v = JSON.parse(block ?? "null") as {
  input: { credential: string; jti: string; iat: number; aud: string; scope: string; op: string; amt: number; cur: string };
  expectedAth: string;
  manifest: { scopes: string[]; operations: string[]; amountLimits: { currency: string; maxAmountMinor: string }[] };
  expectedDecision: string;
  ed25519: KeyVector;
  p256: KeyVector;
};

const manifest: CapabilityManifest = {
  ...v.manifest,
  amountLimits: v.manifest.amountLimits.map((l) => ({ currency: l.currency, maxAmountMinor: BigInt(l.maxAmountMinor) })),
};

/** Step 5 exactly as production runs it (the Verifier's ProofChecker), then the signed request and step 7. */
async function decide(jws: string, jwk: JWK, nowMs = v.input.iat * 1000): Promise<string> {
  const client = await AgentIdentityClient.fromJwk(jwk);
  const state = {
    agentId: "agt_vectors", orgId: "org_vectors", status: "active" as const, publicJwk: client.publicJwk as AgentPublicJwk,
    keyThumbprint: client.thumbprint, manifestHash: "cap", capabilities: manifest, stateVersion: 1, createdAtMs: 0, orgTier: "verified" as const,
  };
  const checker = new ProofChecker({ maxAgeSeconds: 60, futureSkewSeconds: 60 });
  const result = checker.check(PROOF, jws, "proof", state, { boundTo: v.input.credential, audiences: [v.input.aud], nowMs });
  if (!result.ok) return result.reason;
  const request = { scope: v.input.scope, operation: v.input.op, amountMinor: BigInt(v.input.amt), currency: v.input.cur };
  if (requestMismatch(result.claims, request)) return "request_mismatch";
  return checkPolicy(manifest, manifest.scopes, request) ?? "verified";
}

function makeProof(client: AgentIdentityClient): Promise<string> {
  return client.makeProof({
    audience: v.input.aud, scope: v.input.scope, op: v.input.op, amountMinor: v.input.amt, currency: v.input.cur,
    credentialOrSession: v.input.credential, jti: v.input.jti, iatSeconds: v.input.iat,
  });
}

describe("docs/proof-format.md test vectors", () => {
  it("are present in the document", () => {
    expect(v).not.toBeNull();
  });

  it("ath is base64url SHA-256 of the credential", () => {
    expect(tokenHash(v.input.credential)).toBe(v.expectedAth);
  });

  it("Ed25519: the client reproduces the expected JWS byte for byte and it is verified", async () => {
    const client = await AgentIdentityClient.fromJwk(v.ed25519.privateJwk);
    expect(client.thumbprint).toBe(v.ed25519.thumbprint);
    expect(await makeProof(client)).toBe(v.ed25519.expectedJws);
    expect(await decide(v.ed25519.expectedJws!, v.ed25519.privateJwk)).toBe(v.expectedDecision);
  });

  it("P-256: the given JWS verifies, and a fresh one does too", async () => {
    const client = await AgentIdentityClient.fromJwk(v.p256.privateJwk);
    expect(client.thumbprint).toBe(v.p256.thumbprint);
    expect(await decide(v.p256.verifyingJws!, v.p256.privateJwk)).toBe(v.expectedDecision);
    expect(await decide(await makeProof(client), v.p256.privateJwk)).toBe(v.expectedDecision);
  });

  it("the vectors are refused outside the window and under the other key", async () => {
    expect(await decide(v.ed25519.expectedJws!, v.ed25519.privateJwk, (v.input.iat + 61) * 1000)).toBe("stale_proof");
    expect(await decide(v.ed25519.expectedJws!, v.p256.privateJwk)).toBe("wrong_token_type");
  });
});
