// VerifierService through the router transport with the real interceptor chain: every RPC's success and refusals.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { proofFor, registerAgent, verifyRequest, type RegisteredAgent } from "../support/agents.js";
import { openApiHarness, type ApiHarness } from "../support/api-harness.js";
import { failureOf } from "../support/errors.js";
import { expectRefused } from "../support/refusals.js";

let h: ApiHarness;
let rp: string;
/** The per-peer limit of every non-Verify RPC here (GetJwks): small, so the chain's limiter is reachable. */
const API_LIMIT = 5;

beforeAll(async () => {
  h = await openApiHarness({ env: { API_RATE_LIMIT_PER_MINUTE: String(API_LIMIT) } });
  rp = h.peerOf("relyingParty").identity;
});
afterAll(async () => {
  await h?.close();
});

const freshAgent = (): Promise<RegisteredAgent> => registerAgent(h);

describe("Verify", () => {
  it("verifies a fresh proof and answers a refusal as a decision, not an error", async () => {
    const a = await freshAgent();
    const ok = await h.verifier().verify(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)));
    expect({ valid: ok.valid, reasonCode: ok.reasonCode, agentId: ok.agentId }).toEqual({ valid: true, reasonCode: "verified", agentId: a.agentId });
    const request = { scope: "payments:write", operation: "payment.create", amountMinor: 50_000n, currency: "EUR" };
    const over = await h.verifier().verify(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential, request), request));
    expect({ valid: over.valid, reasonCode: over.reasonCode }).toEqual({ valid: false, reasonCode: "amount_limit_exceeded" });
  });

  it("refuses a malformed request naming the field, and callers that are not relying parties", async () => {
    const a = await freshAgent();
    const proof = await proofFor(a.key, rp, a.credential);
    await expectRefused(
      h.verifier().verify({ ...verifyRequest({ credential: a.credential }, proof), currency: "euro" }),
      Code.InvalidArgument,
      "verify.invalid_request",
      "currency",
    );
    await expectRefused(h.clientAs(VerifierService, "agent").verify(verifyRequest({ credential: a.credential }, proof)), Code.PermissionDenied, "auth.role_required");
    await expectRefused(h.clientAs(VerifierService, { listener: "browser" }).verify(verifyRequest({ credential: a.credential }, proof)), Code.PermissionDenied, "auth.method_not_permitted");
  });
});

describe("VerifyHandshake and CreateSession", () => {
  it("turns a verified handshake into a session whose token verifies", async () => {
    const a = await freshAgent();
    const verifier = h.verifier();
    const hs = await verifier.verifyHandshake({
      credential: a.credential,
      handshake: await a.key.makeHandshake({ audience: rp, scopes: ["payments:write"], credential: a.credential }),
    });
    expect({ valid: hs.valid, reasonCode: hs.reasonCode }).toEqual({ valid: true, reasonCode: "verified" });
    expect(hs.proposal!.acceptedScopes).toEqual(["payments:write"]);
    const session = await verifier.createSession({ proposalId: hs.proposal!.proposalId, scopes: [] });
    expect(session.scopes).toEqual(["payments:write"]);
    const res = await verifier.verify(verifyRequest({ sessionToken: session.sessionToken }, await proofFor(a.key, rp, session.sessionToken)));
    expect(res.reasonCode).toBe("verified");
  });

  it("refuses a malformed handshake, an unknown or malformed proposal, another party's proposal and an admin caller", async () => {
    const a = await freshAgent();
    const verifier = h.verifier();
    await expectRefused(verifier.verifyHandshake({ credential: a.credential, handshake: "not-a-jws" }), Code.InvalidArgument, "verify.invalid_handshake", "handshake");
    await expectRefused(verifier.createSession({ proposalId: "prp_00000000000000000000000000" }), Code.NotFound, "session.proposal_not_found");
    await expectRefused(verifier.createSession({ proposalId: "nope" }), Code.InvalidArgument, "session.invalid_proposal_id", "proposal_id");
    const hs = await verifier.verifyHandshake({
      credential: a.credential,
      handshake: await a.key.makeHandshake({ audience: rp, scopes: ["payments:read"], credential: a.credential }),
    });
    const otherParty = { ...h.peerOf("relyingParty"), identity: `${rp}-other` };
    await expectRefused(
      h.clientAs(VerifierService, { listener: "mtls", peer: otherParty }).createSession({ proposalId: hs.proposal!.proposalId }),
      Code.PermissionDenied,
      "session.proposal_other_party",
    );
    await expectRefused(h.clientAs(VerifierService, "admin").createSession({ proposalId: hs.proposal!.proposalId }), Code.PermissionDenied, "auth.role_required");
  });
});

describe("GetJwks", () => {
  it("serves the published issuer keys to any authenticated peer and on the browser listener", async () => {
    const expected = h.services.keySet.published().map((k) => k.kid);
    for (const caller of ["admin", "agent", "relyingParty", { listener: "browser" as const }] as const) {
      const res = await h.clientAs(VerifierService, caller).getJwks({});
      expect(res.keys.map((k) => k.kid)).toEqual(expected);
      expect((JSON.parse(res.jwksJson) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual(expected);
    }
  });

  it("echoes a sane x-request-id, and over the per-peer limit answers RESOURCE_EXHAUSTED with retry-after", async () => {
    // A peer of its own, so no other test's calls share its bucket.
    const peer = { ...h.peerOf("agent"), identity: `${h.peerOf("agent").identity}-limited` };
    const client = h.clientAs(VerifierService, { listener: "mtls", peer });
    let echoed: string | null = null;
    await client.getJwks({}, { headers: { "x-request-id": "req-0123456789" }, onHeader: (headers) => (echoed = headers.get("x-request-id")) });
    expect(echoed).toBe("req-0123456789");
    for (let i = 1; i < API_LIMIT; i++) await client.getJwks({});
    const err = await failureOf(client.getJwks({}));
    expect({ code: err.code, errorCode: err.metadata.get("x-error-code") }).toEqual({ code: Code.ResourceExhausted, errorCode: "rate_limit.per_peer" });
    expect(Number(err.metadata.get("retry-after"))).toBeGreaterThan(0);
  });

  it("refuses a refused certificate and a peer without a usable identity on the mTLS listener", async () => {
    await expectRefused(h.clientAs(VerifierService, { listener: "mtls", refusal: "certificate has no uri san" }).getJwks({}), Code.Unauthenticated, "auth.certificate_refused");
    await expectRefused(h.clientAs(VerifierService, { listener: "mtls" }).getJwks({}), Code.Unauthenticated, "auth.certificate_refused");
  });
});
