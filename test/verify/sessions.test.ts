/** Handshakes, session proposals and session tokens in place of credentials; reason enum coverage. */
import { beforeEach, describe, expect, it } from "vitest";
import { Reason as PbReason } from "../../gen/agentidentity/v1/verifier_pb.js";
import { REASON_CODES, reasonCodeOf, reasonOf, type Reason } from "../../src/domain/verify/reasons.js";
import { buildWorld, OTHER_RP, RP } from "./fixture.js";

type World = Awaited<ReturnType<typeof buildWorld>>;

describe("handshakes and sessions", () => {
  let w: World;
  let credential: string;

  beforeEach(async () => {
    w = await buildWorld();
    credential = await w.issuer.issue(w.state, "iss-1");
  });

  async function session(scopes: string[] = []) {
    const handshake = await w.agent.client.makeHandshake({ audience: RP, scopes: ["orders:read", "admin:all"], credential });
    const d = await w.handshakes.verifyHandshake({ caller: RP, credential, handshake });
    expect(d).toMatchObject({ valid: true, reasonCode: "verified", agentId: w.state.agentId });
    expect(d.proposal).toMatchObject({ acceptedScopes: ["orders:read"], declinedScopes: ["admin:all"], sessionTtlSeconds: 600 });
    return { handshake, proposalId: d.proposal!.proposalId, grant: await w.sessions.createSession({ caller: RP, proposalId: d.proposal!.proposalId, scopes }) };
  }

  function verifyWithSession(token: string, scope: string, caller = RP, proofToken = token) {
    return w.agent.client.makeProof({ audience: caller, scope, op: "order.read", amountMinor: 0, currency: "", credentialOrSession: proofToken }).then((proof) =>
      w.verifier.verify({ caller, presented: { kind: "session", token }, proof, scope, operation: "order.read", amountMinor: 0n, currency: "" }),
    );
  }

  it("a handshake yields a single-use proposal; the session token verifies within its scopes only", async () => {
    const { grant, handshake, proposalId } = await session();
    expect(grant.scopes).toEqual(["orders:read"]);
    expect((await verifyWithSession(grant.sessionToken, "orders:read")).reasonCode).toBe("verified");
    expect((await verifyWithSession(grant.sessionToken, "payments:write")).reasonCode).toBe("scope_not_granted");
    await expect(w.sessions.createSession({ caller: RP, proposalId, scopes: [] })).rejects.toMatchObject({ kind: "not_found" });
    expect((await w.handshakes.verifyHandshake({ caller: RP, credential, handshake })).reasonCode).toBe("nonce_replay");
  });

  it("a session is for its relying party only, and never passes as a credential or proof", async () => {
    const { grant } = await session();
    expect((await verifyWithSession(grant.sessionToken, "orders:read", OTHER_RP)).reasonCode).toBe("audience_mismatch");
    const proof = await w.agent.client.makeProof({ audience: RP, scope: "orders:read", op: "order.read", amountMinor: 0, currency: "", credentialOrSession: grant.sessionToken });
    const asCredential = await w.verifier.verify({ caller: RP, presented: { kind: "credential", token: grant.sessionToken }, proof, scope: "orders:read", operation: "order.read", amountMinor: 0n, currency: "" });
    expect(asCredential.reasonCode).toBe("wrong_token_type");
    const asProof = await w.verifier.verify({ caller: RP, presented: { kind: "session", token: grant.sessionToken }, proof: grant.sessionToken, scope: "orders:read", operation: "order.read", amountMinor: 0n, currency: "" });
    expect(asProof.reasonCode).toBe("wrong_token_type");
    const credentialAsSession = await w.verifier.verify({ caller: RP, presented: { kind: "session", token: credential }, proof, scope: "orders:read", operation: "order.read", amountMinor: 0n, currency: "" });
    expect(credentialAsSession.reasonCode).toBe("wrong_token_type");
  });

  it("a proposal redeemed by another relying party is refused; sessions expire; revocation ends them", async () => {
    const handshake = await w.agent.client.makeHandshake({ audience: RP, scopes: ["orders:read"], credential });
    const d = await w.handshakes.verifyHandshake({ caller: RP, credential, handshake });
    await expect(w.sessions.createSession({ caller: OTHER_RP, proposalId: d.proposal!.proposalId, scopes: [] })).rejects.toMatchObject({ kind: "permission_denied" });
    const { grant } = await session(["orders:read"]);
    await w.commit({ ...w.state, status: "revoked", stateVersion: 2 });
    expect((await verifyWithSession(grant.sessionToken, "orders:read")).reasonCode).toBe("revoked");
    w.clock.advance(601_000);
    expect((await verifyWithSession(grant.sessionToken, "orders:read")).reasonCode).toBe("expired");
  });

  it("a handshake for another audience or with a foreign ath is refused", async () => {
    const h1 = await w.agent.client.makeHandshake({ audience: OTHER_RP, scopes: ["orders:read"], credential });
    expect((await w.handshakes.verifyHandshake({ caller: RP, credential, handshake: h1 })).reasonCode).toBe("audience_mismatch");
    const other = await w.issuer.issue(w.state, "iss-1");
    const h2 = await w.agent.client.makeHandshake({ audience: RP, scopes: ["orders:read"], credential: other });
    expect((await w.handshakes.verifyHandshake({ caller: RP, credential, handshake: h2 })).reasonCode).toBe("credential_mismatch");
  });
});

describe("reason codes", () => {
  it("cover every value of the proto enum with the same number", () => {
    const pbValues = Object.values(PbReason).filter((x): x is number => typeof x === "number");
    expect(pbValues.length).toBe(REASON_CODES.length);
    for (const n of pbValues) {
      const code = reasonCodeOf(n as Reason);
      expect(code.toUpperCase()).toBe(PbReason[n]);
      expect(reasonOf(code)).toBe(n);
    }
  });
});
