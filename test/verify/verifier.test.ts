/** The Verify orchestrator: a valid decision, then each reason from a crafted input, concurrency and limits. */
import { beforeEach, describe, expect, it } from "vitest";
import { base64url, SignJWT, UnsecuredJWT } from "jose";
import { createHmac } from "node:crypto";
import { DomainError } from "../../src/domain/errors.js";
import type { VerifyInput } from "../../src/domain/verify/verifier.js";
import { tokenHash } from "../../src/domain/tokens/index.js";
import { Reason } from "../../src/domain/verify/reasons.js";
import { buildWorld, newAgentKey, OTHER_RP, RP, RP_ALIAS } from "./fixture.js";

type World = Awaited<ReturnType<typeof buildWorld>>;

describe("Verifier.verify", () => {
  let w: World;
  let credential: string;

  beforeEach(async () => {
    w = await buildWorld();
    credential = await w.issuer.issue(w.state, "iss-1");
  });

  async function proofFor(overrides: Partial<Parameters<World["agent"]["client"]["makeProof"]>[0]> = {}) {
    return w.agent.client.makeProof({
      audience: RP,
      scope: "payments:write",
      op: "payment.create",
      amountMinor: 1250n,
      currency: "EUR",
      credentialOrSession: credential,
      iatSeconds: Math.floor(w.clock.nowMs() / 1000),
      ...overrides,
    });
  }

  function input(proof: string, overrides: Partial<VerifyInput> = {}): VerifyInput {
    return {
      caller: RP,
      presented: { kind: "credential", token: credential },
      proof,
      scope: "payments:write",
      operation: "payment.create",
      amountMinor: 1250n,
      currency: "EUR",
      ...overrides,
    };
  }

  async function reasonOf(proof: string, overrides: Partial<VerifyInput> = {}) {
    return (await w.verifier.verify(input(proof, overrides))).reasonCode;
  }

  it("verifies a valid proof and returns agent, org, scopes, trust and the decision id", async () => {
    const d = await w.verifier.verify(input(await proofFor()));
    expect(d).toMatchObject({
      valid: true,
      reason: Reason.VERIFIED,
      reasonCode: "verified",
      agentId: w.state.agentId,
      orgId: w.state.orgId,
      grantedScopes: ["payments:write", "orders:read"],
    });
    expect(d.trust?.modelVersion).toBe("trust-v2");
    expect(d.decisionId).toBe(`evt_${"1".padStart(26, "0")}`);
    expect(w.decisions[0]).toMatchObject({ kind: "verify", valid: true, reasonCode: "verified", caller: RP });
    expect(w.metrics.results).toEqual([{ result: "valid", reason: "verified" }]);
    expect(w.metrics.trustComputations).toBe(1);
  });

  it("accepts an audience configured for the relying party", async () => {
    expect(await reasonOf(await proofFor({ audience: RP_ALIAS }))).toBe("verified");
  });

  it("refuses a proof signed by another key: bad_signature", async () => {
    const other = await newAgentKey(w.clock);
    const proof = await other.client.makeProof({
      audience: RP, scope: "payments:write", op: "payment.create", amountMinor: 1250n, currency: "EUR", credentialOrSession: credential,
      iatSeconds: Math.floor(w.clock.nowMs() / 1000),
    });
    expect(await reasonOf(proof)).toBe("bad_signature");
  });

  it("refuses an expired credential and one not yet valid", async () => {
    const expired = await w.issuer.issue(w.state, "iss-1", { ttlSeconds: 10 });
    w.clock.advance(11_000);
    const proof = await proofFor({ credentialOrSession: expired });
    expect(await reasonOf(proof, { presented: { kind: "credential", token: expired } })).toBe("expired");
    const future = await w.issuer.issue(w.state, "iss-1", { nbfOffsetSeconds: 300 });
    const proof2 = await proofFor({ credentialOrSession: future });
    expect(await reasonOf(proof2, { presented: { kind: "credential", token: future } })).toBe("not_yet_valid");
  });

  it("refuses a proof for another audience, and a proof verified by another relying party", async () => {
    expect(await reasonOf(await proofFor({ audience: "spiffe://test/relying-party/elsewhere" }))).toBe("audience_mismatch");
    expect(await reasonOf(await proofFor(), { caller: OTHER_RP })).toBe("audience_mismatch");
    // The alias configured for RP is not an audience of OTHER_RP.
    expect(await reasonOf(await proofFor({ audience: RP_ALIAS }), { caller: OTHER_RP })).toBe("audience_mismatch");
  });

  it("refuses an amount above the limit and a currency without a limit", async () => {
    const big = await proofFor({ amountMinor: 50_001n });
    expect(await reasonOf(big, { amountMinor: 50_001n })).toBe("amount_limit_exceeded");
    const usd = await proofFor({ currency: "USD" });
    expect(await reasonOf(usd, { currency: "USD" })).toBe("amount_limit_exceeded");
    const atLimit = await proofFor({ amountMinor: 50_000n });
    expect(await reasonOf(atLimit, { amountMinor: 50_000n })).toBe("verified");
  });

  it("refuses when the relying party's request differs from the signed one: request_mismatch", async () => {
    expect(await reasonOf(await proofFor(), { amountMinor: 99n })).toBe("request_mismatch");
    expect(await reasonOf(await proofFor(), { operation: "order.read" })).toBe("request_mismatch");
    expect(await reasonOf(await proofFor(), { scope: "orders:read" })).toBe("request_mismatch");
    expect(await reasonOf(await proofFor(), { currency: "USD" })).toBe("request_mismatch");
  });

  it("refuses a proof whose signed payload was altered: bad_signature", async () => {
    const proof = await proofFor();
    const [h, p, s] = proof.split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!))) as Record<string, unknown>;
    claims.amt = 1;
    const forged = `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
    expect(await reasonOf(forged, { amountMinor: 1n })).toBe("bad_signature");
  });

  it("refuses a reused proof: nonce_replay, counted", async () => {
    const proof = await proofFor();
    expect(await reasonOf(proof)).toBe("verified");
    expect(await reasonOf(proof)).toBe("nonce_replay");
    expect(w.metrics.replays).toBe(1);
  });

  it("refuses a proof older (or newer) than the window: stale_proof", async () => {
    const now = Math.floor(w.clock.nowMs() / 1000);
    expect(await reasonOf(await proofFor({ iatSeconds: now - 61 }))).toBe("stale_proof");
    expect(await reasonOf(await proofFor({ iatSeconds: now + 61 }))).toBe("stale_proof");
    expect(await reasonOf(await proofFor({ iatSeconds: now - 59 }))).toBe("verified");
  });

  it("refuses a proof bound to another credential: credential_mismatch", async () => {
    const other = await w.issuer.issue(w.state, "iss-1");
    expect(await reasonOf(await proofFor({ credentialOrSession: other }))).toBe("credential_mismatch");
  });

  it("refuses another typ, alg none and an HMAC alg keyed with the public key: wrong_token_type", async () => {
    const handshake = await w.agent.client.makeHandshake({ audience: RP, scopes: ["payments:write"], credential });
    expect(await reasonOf(handshake)).toBe("wrong_token_type");
    expect(await reasonOf(credential)).toBe("wrong_token_type");
    const claims = {
      jti: "n".repeat(22), iat: Math.floor(w.clock.nowMs() / 1000), aud: RP, scope: "payments:write",
      op: "payment.create", amt: 1250, cur: "EUR", ath: tokenHash(credential),
    };
    const none = new UnsecuredJWT(claims).encode().replace(/^[^.]+/, base64url.encode(JSON.stringify({ alg: "none", typ: "agent-proof+jwt" })));
    expect(await reasonOf(`${none}`)).toBe("wrong_token_type");
    const hmacKey = new TextEncoder().encode(JSON.stringify(w.state.publicJwk));
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "agent-proof+jwt" }).sign(hmacKey);
    expect(await reasonOf(hs)).toBe("wrong_token_type");
    // Even with the header claiming the key's alg, an HMAC signature does not verify.
    const head = base64url.encode(JSON.stringify({ alg: "EdDSA", typ: "agent-proof+jwt" }));
    const body = base64url.encode(JSON.stringify(claims));
    const mac = createHmac("sha256", hmacKey).update(`${head}.${body}`).digest("base64url");
    expect(await reasonOf(`${head}.${body}.${mac}`)).toBe("bad_signature");
  });

  it("refuses a credential from an unknown issuer key", async () => {
    await w.issuer.addKey("iss-rogue");
    const rogue = await w.issuer.issue(w.state, "iss-rogue");
    w.issuer.keys.delete("iss-rogue");
    const proof = await proofFor({ credentialOrSession: rogue });
    expect(await reasonOf(proof, { presented: { kind: "credential", token: rogue } })).toBe("unknown_issuer_key");
  });

  it("refuses a credential from before a key rotation (key_mismatch) or a capability update (credential_mismatch)", async () => {
    expect(await reasonOf(await proofFor())).toBe("verified");
    const rotated = await newAgentKey(w.clock, "ES256");
    await w.commit({ ...w.state, publicJwk: rotated.client.publicJwk, keyThumbprint: rotated.client.thumbprint, stateVersion: 2 });
    // Old credential, old key: refused although this replica never got a bus message.
    expect(await reasonOf(await proofFor())).toBe("key_mismatch");
    const rotatedState = w.agents.get(w.state.agentId)!;
    const fresh = await w.issuer.issue(rotatedState, "iss-1");
    const p2 = await rotated.client.makeProof({
      audience: RP, scope: "payments:write", op: "payment.create", amountMinor: 1250n, currency: "EUR", credentialOrSession: fresh,
    });
    expect(await reasonOf(p2, { presented: { kind: "credential", token: fresh } })).toBe("verified");
    await w.commit({ ...rotatedState, manifestHash: "cap-hash-v2", stateVersion: 3 }, true);
    const p3 = await rotated.client.makeProof({
      audience: RP, scope: "payments:write", op: "payment.create", amountMinor: 1250n, currency: "EUR", credentialOrSession: fresh,
    });
    expect(await reasonOf(p3, { presented: { kind: "credential", token: fresh } })).toBe("credential_mismatch");
  });

  it("refuses a revoked agent on a replica whose cache missed the invalidation (state version check)", async () => {
    expect(await reasonOf(await proofFor())).toBe("verified");
    await w.commit({ ...w.state, status: "revoked", stateVersion: 2 }); // no bus message
    expect(await reasonOf(await proofFor())).toBe("revoked");
  });

  it("refuses an unknown agent, an ungranted scope and an ungranted operation", async () => {
    const ghost = await w.issuer.issue({ ...w.state, agentId: "agt_0000000000000000000000000z" }, "iss-1");
    expect(await reasonOf(await proofFor({ credentialOrSession: ghost }), { presented: { kind: "credential", token: ghost } })).toBe("unknown_agent");
    w.agents.set(w.state.agentId, { ...w.state, capabilities: { ...w.state.capabilities, scopes: ["orders:read"] } });
    w.cache.flush();
    expect(await reasonOf(await proofFor())).toBe("scope_not_granted");
    w.agents.set(w.state.agentId, { ...w.state, capabilities: { ...w.state.capabilities, operations: ["order.read"] } });
    w.cache.flush();
    expect(await reasonOf(await proofFor())).toBe("operation_not_granted");
  });

  it("sends the same proof 50 times concurrently: exactly one verified", async () => {
    const proof = await proofFor();
    const decisions = await Promise.all(Array.from({ length: 50 }, () => w.verifier.verify(input(proof))));
    expect(decisions.filter((d) => d.reasonCode === "verified")).toHaveLength(1);
    expect(decisions.filter((d) => d.reasonCode === "nonce_replay")).toHaveLength(49);
    expect(w.metrics.replays).toBe(49);
  });

  it("rate-limits with resource_exhausted and a retry hint; the nonce stays usable", async () => {
    w = await buildWorld({ callerLimitPerMinute: 4 });
    credential = await w.issuer.issue(w.state, "iss-1");
    for (let i = 0; i < 4; i++) expect(await reasonOf(await proofFor())).toBe("verified");
    const proof = await proofFor();
    const error = await w.verifier.verify(input(proof)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ kind: "resource_exhausted", code: "verify.rate_limited_caller" });
    const retryAfterMs = (error as DomainError).retryAfterMs ?? 0;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(15_000);
    expect(w.metrics.limited).toEqual(["verify"]);
    expect(w.metrics.results.at(-1)).toEqual({ result: "error", reason: "resource_exhausted" });
    w.clock.advance(retryAfterMs);
    expect(await reasonOf(proof)).toBe("verified");
    w.clock.advance(15_000);
    expect(await reasonOf(proof)).toBe("nonce_replay");
  });

  it("the coarse per-caller guard refuses before any signature check", async () => {
    const guarded = await buildWorld({ callerGuard: { perSecond: 1, burst: 1 } });
    const cred = await guarded.issuer.issue(guarded.state, "iss-1");
    const v = guarded.verifier;
    const mk = () => guarded.agent.client.makeProof({
      audience: RP, scope: "payments:write", op: "payment.create", amountMinor: 1250n, currency: "EUR", credentialOrSession: cred,
    });
    const base = { caller: RP, presented: { kind: "credential" as const, token: cred }, scope: "payments:write", operation: "payment.create", amountMinor: 1250n, currency: "EUR" };
    expect((await v.verify({ ...base, proof: await mk() })).valid).toBe(true);
    await expect(v.verify({ ...base, proof: "x.y.z" })).rejects.toMatchObject({ kind: "resource_exhausted", code: "verify.caller_guard" });
    expect(guarded.metrics.limited).toEqual(["verify"]);
  });

  it("answers invalid_argument naming the field for envelope faults", async () => {
    const proof = await proofFor();
    await expect(w.verifier.verify(input("a".repeat(9000)))).rejects.toMatchObject({ kind: "invalid_argument", fieldViolations: [{ field: "proof" }] });
    await expect(w.verifier.verify(input(proof, { currency: "eur" }))).rejects.toMatchObject({ fieldViolations: [{ field: "currency" }] });
    await expect(w.verifier.verify(input(proof, { amountMinor: -1n }))).rejects.toMatchObject({ fieldViolations: [{ field: "amount_minor" }] });
    await expect(w.verifier.verify(input(proof, { scope: "bad scope" }))).rejects.toMatchObject({ fieldViolations: [{ field: "scope" }] });
    await expect(w.verifier.verify(input(proof, { presented: undefined }))).rejects.toMatchObject({ fieldViolations: [{ field: "credential" }] });
    await expect(w.verifier.verify(input(proof, { currency: "", amountMinor: 5n }))).rejects.toMatchObject({ fieldViolations: [{ field: "currency" }] });
  });

  it("steady state loads the agent once and never again", async () => {
    for (let i = 0; i < 5; i++) expect(await reasonOf(await proofFor())).toBe("verified");
    expect(w.loads()).toBe(1);
  });
});
