// End to end over real mTLS: a valid Verify, every refusal reason from crafted input, envelope faults, sessions, trust, metrics.
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { base64url, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { RiskTier, type TrustScore } from "../../gen/agentidentity/v1/common_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import type { VerifierService, VerifyRequestSchema, VerifyResponse } from "../../gen/agentidentity/v1/verifier_pb.js";
import { ManualClock } from "../../src/domain/clock.js";
import { tokenHash } from "../../src/domain/tokens/index.js";
import { newAgentKey, proofFor, registerAgent, verifyRequest, type RegisteredAgent } from "../support/agents.js";
import { extraRelyingParty, metricValue, scrapeMetrics, type ExtraPeer } from "../support/wire.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets, redisTarget, type RedisTarget } from "../support/databases.js";
import { failureOf, violatedFields } from "../support/errors.js";

type VerifyInit = MessageInitShape<typeof VerifyRequestSchema>;

// PGlite with the in-memory stores; real Postgres with real Redis when both are configured.
const redisForPostgres = redisTarget();
const targets = databaseTargets().map((database) => ({
  name: database.name === "postgres" && redisForPostgres !== undefined ? "postgres+redis" : `${database.name}+memory`,
  database,
  redis: database.name === "postgres" ? redisForPostgres : undefined,
}));

describe.each(targets)("Verify decisions on $name", ({ database, redis }) => {
  let t: TestApp;
  let rp: string;
  let other: ExtraPeer;
  const clock = new ManualClock(Date.now());
  /** Every Verify answer this file received, by "result|reason" (the metric's labels): the metrics must say the same. */
  const tally = new Map<string, number>();
  const count = (result: string, reason: string) => tally.set(`${result}|${reason}`, (tally.get(`${result}|${reason}`) ?? 0) + 1);

  async function verifyBy(verifier: Client<typeof VerifierService>, req: VerifyInit): Promise<VerifyResponse> {
    try {
      const res = await verifier.verify(req);
      count(res.valid ? "success" : "failure", res.reasonCode);
      return res;
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code === Code.InvalidArgument) count("failure", "invalid_argument");
      if (err.code === Code.ResourceExhausted) count("failure", "resource_exhausted");
      throw err;
    }
  }
  let verifier: Client<typeof VerifierService>;
  const verify = (req: VerifyInit) => verifyBy(verifier, req);
  const reasonOf = async (req: VerifyInit) => (await verify(req)).reasonCode;
  const agent = () => registerAgent(t, { clock });
  /** Handshake replays refused (they count in agent_identity_replay_denials_total too, not in verify_total). */
  let handshakeReplays = 0;

  beforeAll(async () => {
    t = await startTestApp({ database, redis: redis as RedisTarget | undefined, clock });
    rp = t.material.clients.relyingParty.identity;
    other = await extraRelyingParty(t, "other-shop");
    verifier = t.verifier();
  });
  afterAll(async () => {
    await t?.close();
    await redis?.cleanup();
  });

  it("answers valid with agent, org, scopes, trust score and an audited decision id", async () => {
    const a = await agent();
    const res = await verify(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)));
    expect(res.valid).toBe(true);
    expect(res.reasonCode).toBe("verified");
    expect(res.agentId).toBe(a.agentId);
    expect(res.orgId).toBe(a.orgId);
    expect([...res.grantedScopes].sort()).toEqual(["payments:read", "payments:write"]);
    const trust = res.trustScore!;
    expect(trust.modelVersion).toBe("trust-v2");
    expect(trust.score).toBeGreaterThanOrEqual(0);
    expect(trust.score).toBeLessThanOrEqual(100);
    expect(trust.factors.length).toBeGreaterThan(0);
    expect(trust.factors.reduce((s, f) => s + f.contribution, 0)).toBeCloseTo(trust.score, 1);
    expect(trust.riskTier).not.toBe(RiskTier.UNSPECIFIED);
    expect(res.decisionId).toMatch(/^evt_/);

    const { admin } = await t.adminClients();
    const page = await admin.listAuditEvents({ action: "verify.decision", pageSize: 500 });
    const event = page.events.find((e) => e.id === res.decisionId);
    expect(event).toBeDefined();
    expect(event!.action).toBe("verify.decision");
    expect(event!.actor).toBe(rp);
    expect(event!.target).toBe(a.agentId);
    expect(event!.details?.reason_code).toBe("verified");
  });

  it("refuses a proof signed by another key (bad_signature) and one for another audience (audience_mismatch)", async () => {
    const a = await agent();
    const { client: stranger } = await newAgentKey(t.config.issuer.issuerUrl, { clock });
    expect(await reasonOf(verifyRequest({ credential: a.credential }, await proofFor(stranger, rp, a.credential)))).toBe("bad_signature");
    expect(await reasonOf(verifyRequest({ credential: a.credential }, await proofFor(a.key, other.identity, a.credential)))).toBe(
      "audience_mismatch",
    );
    // The same proof, meant for the first relying party, verified by another one.
    const proof = await proofFor(a.key, rp, a.credential);
    const byOther = await verifyBy(other.verifier(), verifyRequest({ credential: a.credential }, proof));
    expect(byOther.reasonCode).toBe("audience_mismatch");
    expect(byOther.valid).toBe(false);
    // Refusals about a known agent carry its trust score too.
    expect(byOther.trustScore?.modelVersion).toBe("trust-v2");
    // The other relying party's refusal did not consume the nonce: the right one still verifies it.
    expect(await reasonOf(verifyRequest({ credential: a.credential }, proof))).toBe("verified");
  });

  it("refuses amounts above the limit, unsigned changes, replays and stale proofs", async () => {
    const a = await agent();
    const cred = { credential: a.credential };
    const big = { amountMinor: 10_001n };
    expect(await reasonOf(verifyRequest(cred, await proofFor(a.key, rp, a.credential, big), big))).toBe("amount_limit_exceeded");
    const usd = { amountMinor: 1n, currency: "USD" };
    expect(await reasonOf(verifyRequest(cred, await proofFor(a.key, rp, a.credential, usd), usd))).toBe("amount_limit_exceeded");

    // The relying party's request differs from what the agent signed.
    const signed = await proofFor(a.key, rp, a.credential, { amountMinor: 500n });
    expect(await reasonOf(verifyRequest(cred, signed, { amountMinor: 600n }))).toBe("request_mismatch");
    expect(await reasonOf(verifyRequest(cred, await proofFor(a.key, rp, a.credential), { operation: "payment.refund" }))).toBe(
      "request_mismatch",
    );
    // A proof bound (ath) to another token.
    expect(await reasonOf(verifyRequest(cred, await proofFor(a.key, rp, "another.token.entirely")))).toBe("credential_mismatch");

    const before = metricValue(await scrapeMetrics(t), "agent_identity_replay_denials_total");
    const once = await proofFor(a.key, rp, a.credential);
    expect(await reasonOf(verifyRequest(cred, once))).toBe("verified");
    expect(await reasonOf(verifyRequest(cred, once))).toBe("nonce_replay");
    expect(await reasonOf(verifyRequest(cred, once))).toBe("nonce_replay");
    expect(metricValue(await scrapeMetrics(t), "agent_identity_replay_denials_total")).toBe(before + 2);

    const nowS = Math.floor(clock.nowMs() / 1000);
    const { proofMaxAgeSeconds: maxAge, proofFutureSkewSeconds: ahead } = t.config.verify;
    const old = await proofFor(a.key, rp, a.credential, {}, { iatSeconds: nowS - maxAge - 1 });
    expect(await reasonOf(verifyRequest(cred, old))).toBe("stale_proof");
    const oldest = await proofFor(a.key, rp, a.credential, {}, { iatSeconds: nowS - maxAge + 1 });
    expect(await reasonOf(verifyRequest(cred, oldest))).toBe("verified");
    // The two tolerances differ: far less is accepted ahead of the service's clock than behind it.
    const future = await proofFor(a.key, rp, a.credential, {}, { iatSeconds: nowS + ahead + 1 });
    expect(await reasonOf(verifyRequest(cred, future))).toBe("stale_proof");
    const ahead1 = await proofFor(a.key, rp, a.credential, {}, { iatSeconds: nowS + ahead });
    expect(await reasonOf(verifyRequest(cred, ahead1))).toBe("verified");
  });

  it("refuses scopes and operations not granted", async () => {
    const a = await agent();
    const cred = { credential: a.credential };
    const scope = { scope: "payments:admin" };
    expect(await reasonOf(verifyRequest(cred, await proofFor(a.key, rp, a.credential, scope), scope))).toBe("scope_not_granted");
    const op = { operation: "payment.delete" };
    expect(await reasonOf(verifyRequest(cred, await proofFor(a.key, rp, a.credential, op), op))).toBe("operation_not_granted");
  });

  it("refuses another typ, alg none and HS256 keyed with the public key", async () => {
    const a = await agent();
    const cred = { credential: a.credential };
    // The credential itself presented as the proof.
    expect(await reasonOf(verifyRequest(cred, a.credential))).toBe("wrong_token_type");
    // A handshake presented as the proof.
    const handshake = await a.key.makeHandshake({ audience: rp, scopes: ["payments:write"], credential: a.credential });
    expect(await reasonOf(verifyRequest(cred, handshake))).toBe("wrong_token_type");

    const claims = {
      jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
      iat: Math.floor(clock.nowMs() / 1000),
      aud: rp,
      scope: "payments:write",
      op: "payment.create",
      amt: 500,
      cur: "EUR",
      ath: tokenHash(a.credential),
    };
    const none = `${base64url.encode(JSON.stringify({ alg: "none", typ: "agent-proof+jwt" }))}.${base64url.encode(JSON.stringify(claims))}.`;
    const noneReason = await reasonOf(verifyRequest(cred, none));
    expect(["wrong_token_type", "bad_signature"]).toContain(noneReason);

    const jwkSecret = new TextEncoder().encode(JSON.stringify(a.key.publicJwk));
    const hsJwk = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "agent-proof+jwt" }).sign(jwkSecret);
    expect(["wrong_token_type", "bad_signature"]).toContain(await reasonOf(verifyRequest(cred, hsJwk)));
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const pemSecret = new TextEncoder().encode(await exportSPKI(publicKey));
    const hsPem = await new SignJWT({ ...claims, jti: `${claims.jti}x` }).setProtectedHeader({ alg: "HS256", typ: "agent-proof+jwt" }).sign(pemSecret);
    expect(["wrong_token_type", "bad_signature"]).toContain(await reasonOf(verifyRequest(cred, hsPem)));
    // None of them consumed the nonce of a genuine proof with the same jti.
    const genuine = await proofFor(a.key, rp, a.credential, {}, { jti: claims.jti });
    expect(await reasonOf(verifyRequest(cred, genuine))).toBe("verified");
  });

  it("refuses a credential from another issuer key (unknown_issuer_key) or forged under our kid (bad_signature)", async () => {
    const a = await agent();
    const { privateKey } = await generateKeyPair("ES256");
    const now = Math.floor(clock.nowMs() / 1000);
    const forge = (kid: string) =>
      new SignJWT({ org_id: a.orgId, cnf: { jkt: a.key.thumbprint }, cap: "x".repeat(43) })
        .setProtectedHeader({ alg: "ES256", typ: "agent-cred+jwt", kid })
        .setIssuer(t.config.issuer.issuerUrl)
        .setSubject(a.agentId)
        .setJti(base64url.encode(crypto.getRandomValues(new Uint8Array(16))))
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
    const rogue = await forge("rogue-issuer-key");
    expect(await reasonOf(verifyRequest({ credential: rogue }, await proofFor(a.key, rp, rogue)))).toBe("unknown_issuer_key");
    const ourKid = t.app.keySet.published()[0]!.kid;
    const forged = await forge(ourKid);
    expect(await reasonOf(verifyRequest({ credential: forged }, await proofFor(a.key, rp, forged)))).toBe("bad_signature");
  });

  it("refuses a credential from before a key rotation (key_mismatch) or a capability update (credential_mismatch)", async () => {
    const { registry } = await t.adminClients();
    const a = await agent();
    const audience = t.config.issuer.issuerUrl;
    const { client: next } = await newAgentKey(audience, { clock, agentId: a.agentId });
    const rotated = await registry.rotateAgentKey({
      agentId: a.agentId,
      publicJwk: JSON.stringify(next.publicJwk),
      possessionProof: await next.makePossessionProof({ op: "agent.rotate_key", audience, orgId: a.orgId, agentId: a.agentId }),
    });
    const fresh = rotated.credential!.token;
    expect(await reasonOf(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)))).toBe("key_mismatch");
    expect(await reasonOf(verifyRequest({ credential: a.credential }, await proofFor(next, rp, a.credential)))).toBe("key_mismatch");
    expect(await reasonOf(verifyRequest({ credential: fresh }, await proofFor(a.key, rp, fresh)))).toBe("bad_signature");
    expect(await reasonOf(verifyRequest({ credential: fresh }, await proofFor(next, rp, fresh)))).toBe("verified");

    const updated = await registry.updateCapabilities({
      agentId: a.agentId,
      capabilities: { scopes: ["payments:write"], operations: ["payment.create"], amountLimits: [{ currency: "EUR", maxAmountMinor: 50_000n }] },
    });
    expect(await reasonOf(verifyRequest({ credential: fresh }, await proofFor(next, rp, fresh)))).toBe("credential_mismatch");
    const newest = updated.credential!.token;
    const larger = { amountMinor: 20_000n };
    expect(await reasonOf(verifyRequest({ credential: newest }, await proofFor(next, rp, newest, larger), larger))).toBe("verified");

    await registry.revokeAgent({ agentId: a.agentId, reason: "e2e" });
    expect(await reasonOf(verifyRequest({ credential: newest }, await proofFor(next, rp, newest)))).toBe("revoked");
  });

  it("answers INVALID_ARGUMENT naming the field for envelope faults", async () => {
    const a = await agent();
    const proof = await proofFor(a.key, rp, a.credential);
    const cases: { req: VerifyInit; field: string }[] = [
      { req: verifyRequest({ credential: a.credential }, ""), field: "proof" },
      { req: verifyRequest({ credential: a.credential }, "not-a-jws"), field: "proof" },
      { req: verifyRequest({ credential: a.credential }, `${"a".repeat(8 * 1024)}.b.c`), field: "proof" },
      { req: { ...verifyRequest({ credential: a.credential }, proof), presented: { case: undefined } }, field: "credential" },
      { req: verifyRequest({ credential: `${"a".repeat(8 * 1024)}.b.c` }, proof), field: "credential" },
      { req: verifyRequest({ sessionToken: "no.t" }, proof), field: "session_token" },
      { req: verifyRequest({ credential: a.credential }, proof, { currency: "eur" }), field: "currency" },
    ];
    for (const c of cases) {
      const err = await failureOf(verify(c.req));
      expect(err.code, c.field).toBe(Code.InvalidArgument);
      expect(violatedFields(err), c.field).toContain(c.field);
    }
    // The envelope faults consumed nothing: the proof still verifies.
    expect(await reasonOf(verifyRequest({ credential: a.credential }, proof))).toBe("verified");
  });

  it("handshake -> proposal -> session: verified within the session scopes only, single-use proposal", async () => {
    const a = await agent();
    const hs = await verifier.verifyHandshake({
      credential: a.credential,
      handshake: await a.key.makeHandshake({ audience: rp, scopes: ["payments:write", "admin:everything"], credential: a.credential }),
    });
    expect(hs.valid).toBe(true);
    expect(hs.reasonCode).toBe("verified");
    expect(hs.proposal!.acceptedScopes).toEqual(["payments:write"]);
    expect(hs.proposal!.declinedScopes).toEqual(["admin:everything"]);
    expect(hs.trustScore?.modelVersion).toBe("trust-v2");

    const session = await verifier.createSession({ proposalId: hs.proposal!.proposalId, scopes: [] });
    expect(session.scopes).toEqual(["payments:write"]);
    expect(session.sessionToken.split(".")).toHaveLength(3);
    // Single use.
    expect((await failureOf(verifier.createSession({ proposalId: hs.proposal!.proposalId, scopes: [] }))).code).toBe(Code.NotFound);

    const token = session.sessionToken;
    const ok = await verify(verifyRequest({ sessionToken: token }, await proofFor(a.key, rp, token)));
    expect(ok.reasonCode).toBe("verified");
    expect(ok.agentId).toBe(a.agentId);
    expect(ok.grantedScopes).toEqual(["payments:write"]);
    // payments:read is in the manifest but not in the session.
    const read = { scope: "payments:read", operation: "payment.create" };
    expect(await reasonOf(verifyRequest({ sessionToken: token }, await proofFor(a.key, rp, token, read), read))).toBe("scope_not_granted");
    // A session token is never a credential, and never a proof.
    expect(await reasonOf(verifyRequest({ credential: token }, await proofFor(a.key, rp, token)))).toBe("wrong_token_type");
    expect(await reasonOf(verifyRequest({ credential: a.credential }, token))).toBe("wrong_token_type");
    // Another relying party cannot use the session.
    const byOther = await verifyBy(other.verifier(), verifyRequest({ sessionToken: token }, await proofFor(a.key, other.identity, token)));
    expect(byOther.reasonCode).toBe("audience_mismatch");

    // A proposal redeemed by another relying party is refused and destroyed.
    const hs2 = await verifier.verifyHandshake({
      credential: a.credential,
      handshake: await a.key.makeHandshake({ audience: rp, scopes: ["payments:read"], credential: a.credential }),
    });
    expect(hs2.valid).toBe(true);
    expect((await failureOf(other.verifier().createSession({ proposalId: hs2.proposal!.proposalId, scopes: [] }))).code).toBe(
      Code.PermissionDenied,
    );
    expect((await failureOf(verifier.createSession({ proposalId: hs2.proposal!.proposalId, scopes: [] }))).code).toBe(Code.NotFound);

    // A handshake is replay-protected like a proof.
    const once = await a.key.makeHandshake({ audience: rp, scopes: ["payments:write"], credential: a.credential });
    expect((await verifier.verifyHandshake({ credential: a.credential, handshake: once })).reasonCode).toBe("verified");
    expect((await verifier.verifyHandshake({ credential: a.credential, handshake: once })).reasonCode).toBe("nonce_replay");
    handshakeReplays++;
  });

  it("trust: relying-party telemetry needs its own decision; uptime 0.997 > 0.2 > 0; GetTrustScore equals Verify", async () => {
    const { admin } = await t.adminClients();
    const { org } = await admin.createOrg({ name: "trust org" });
    const agents: RegisteredAgent[] = [];
    for (let i = 0; i < 3; i++) agents.push(await registerAgent(t, { clock, orgId: org!.id }));
    const registry = t.client(AgentRegistryService, "relyingParty");
    const otherRegistry = other.client(AgentRegistryService);

    const decisions: string[] = [];
    for (const a of agents) {
      const res = await verify(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)));
      expect(res.valid).toBe(true);
      decisions.push(res.decisionId);
    }
    const report = (i: number, uptime: number) => ({
      agentId: agents[i]!.agentId,
      eventType: "payment.completed",
      success: true,
      latencyMs: 120,
      slaMet: true,
      dispute: false,
      raw: { uptime_reliability: uptime },
      decisionId: decisions[i]!,
    });
    // Another relying party quoting this one's decision, and a relying party without a decision.
    expect((await failureOf(otherRegistry.reportTelemetry(report(0, 0.997)))).code).toBe(Code.PermissionDenied);
    expect((await failureOf(registry.reportTelemetry({ ...report(0, 0.997), decisionId: "" }))).code).toBe(Code.InvalidArgument);
    // A decision about another agent.
    expect((await failureOf(registry.reportTelemetry({ ...report(0, 0.997), decisionId: decisions[1]! }))).code).toBe(Code.PermissionDenied);

    const uptimes = [0.997, 0.2, 0];
    for (let i = 0; i < 3; i++) {
      const r = await registry.reportTelemetry(report(i, uptimes[i]!));
      expect(r.eventId).not.toBe("");
      expect(r.trustScore?.modelVersion).toBe("trust-v2");
    }
    const scores: TrustScore[] = [];
    for (const a of agents) scores.push((await registry.getTrustScore({ agentId: a.agentId })).trustScore!);
    expect(scores[0]!.score).toBeGreaterThan(scores[1]!.score);
    expect(scores[1]!.score).toBeGreaterThan(scores[2]!.score);
    const uptimeFactor = (i: number) => scores[i]!.factors.find((f) => f.name.includes("uptime"));
    // docs/trust-model.md: uptime is the posterior mean with a prior of 0.5 worth one report, so a reported 0
    // lowers it (no fallback default): (u + 0.5) / 2.
    expect(uptimeFactor(0)?.value).toBeCloseTo((0.997 + 0.5) / 2, 3);
    expect(uptimeFactor(1)?.value).toBeCloseTo((0.2 + 0.5) / 2, 3);
    expect(uptimeFactor(2)?.value).toBeCloseTo(0.25, 3);

    // Verify answers the same score as GetTrustScore (same clock instant, same stored state).
    const a = agents[0]!;
    const res = await verify(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)));
    expect(res.trustScore!.score).toBe(scores[0]!.score);
    expect(res.trustScore!.riskTier).toBe(scores[0]!.riskTier);
    expect(res.trustScore!.factors.map((f) => [f.name, f.contribution])).toEqual(scores[0]!.factors.map((f) => [f.name, f.contribution]));
  });

  it("refuses an expired credential (clock moved past its exp)", async () => {
    const a = await agent();
    clock.advance(t.config.issuer.credentialTtlSeconds * 1000 + 10_000);
    expect(await reasonOf(verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)))).toBe("expired");
    // A credential issued now verifies (the clock moved, nothing else broke).
    const b = await agent();
    expect(await reasonOf(verifyRequest({ credential: b.credential }, await proofFor(b.key, rp, b.credential)))).toBe("verified");
  });

  it("refuses a credential not yet valid; a clock stepped back does not lock the relying party out", async () => {
    const b = await agent();
    const before = clock.nowMs();
    clock.advance(-120_000);
    try {
      expect(await reasonOf(verifyRequest({ credential: b.credential }, await proofFor(b.key, rp, b.credential)))).toBe("not_yet_valid");
      // A credential issued at the stepped-back time passes the caller guard and the gate's rate limits.
      const c = await agent();
      expect(await reasonOf(verifyRequest({ credential: c.credential }, await proofFor(c.key, rp, c.credential)))).toBe("verified");
    } finally {
      clock.set(before);
    }
  });

  it("metrics carry every decision this file made (whichever tests ran before)", async () => {
    // Its own decisions first, so the check stands alone: a verified proof and its replay.
    const a = await agent();
    const proof = await proofFor(a.key, rp, a.credential);
    expect(await reasonOf(verifyRequest({ credential: a.credential }, proof))).toBe("verified");
    expect(await reasonOf(verifyRequest({ credential: a.credential }, proof))).toBe("nonce_replay");
    const text = await scrapeMetrics(t);
    expect(tally.get("success|verified")).toBeGreaterThan(0);
    for (const [key, n] of tally) {
      const [result, reason] = key.split("|") as [string, string];
      expect(metricValue(text, "agent_identity_verify_total", { result, reason }), key).toBe(n);
    }
    const sum = (result: string) => [...tally].filter(([k]) => k.startsWith(`${result}|`)).reduce((s, [, n]) => s + n, 0);
    for (const result of ["success", "failure"]) {
      expect(metricValue(text, "agent_identity_verify_duration_seconds_count", { result }), result).toBe(sum(result));
    }
    expect(metricValue(text, "agent_identity_replay_denials_total")).toBe((tally.get("failure|nonce_replay") ?? 0) + handshakeReplays);
    expect(metricValue(text, "agent_identity_trust_compute_duration_seconds_count")).toBeGreaterThanOrEqual(tally.get("success|verified")!);
    // Sub-millisecond buckets exist.
    expect(text).toMatch(/agent_identity_verify_duration_seconds_bucket\{le="0\.000[0-9]*",result="success"\}/);
  });

  it("decay moves a silent agent's score", async () => {
    const a = await agent();
    const { registry } = await t.adminClients();
    const reported = await registry.reportTelemetry({
      agentId: a.agentId,
      eventType: "payment.completed",
      success: true,
      latencyMs: 80,
      slaMet: true,
      dispute: false,
      raw: { uptime_reliability: 0.99 },
      decisionId: "",
    });
    const before = (await registry.getTrustScore({ agentId: a.agentId })).trustScore!;
    expect(before.score).toBe(reported.trustScore!.score);
    clock.advance(90 * 24 * 3600 * 1000);
    const after = (await (await t.adminClients()).registry.getTrustScore({ agentId: a.agentId })).trustScore!;
    expect(after.score).not.toBe(before.score);
    // Not only the identity age moved: the reported evidence decayed towards the prior.
    const value = (score: TrustScore, name: string) => score.factors.find((f) => f.name === name)?.value;
    expect(value(after, "success_rate")).toBeLessThan(value(before, "success_rate")!);
    expect(value(after, "uptime")).not.toBe(value(before, "uptime"));
  });
});
