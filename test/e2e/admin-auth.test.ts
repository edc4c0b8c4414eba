/** End to end over mTLS: admin API key exchange and admin JWTs (expiry, tampering, typ, audience, certificate binding, org scope) and their metric. */
import { readFileSync } from "node:fs";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { importJWK, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { createLeaf, type PemPair } from "../../src/config/dev-certificates.js";
import type { Clock } from "../../src/domain/clock.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { registerAgent } from "../support/agents.js";
import { failureOf, violatedFields } from "../support/errors.js";

/** The system clock plus an offset the test moves forward. */
class AdvancingClock implements Clock {
  offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}

const bearer =
  (token: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };

/** agent_identity_admin_auth_total by result, read from the sidecar's /metrics. */
async function adminAuthCounts(t: TestApp): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${t.app.server.sidecarPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^agent_identity_admin_auth_total\{result="([a-z_]+)"\} (\d+)$/gm)) counts[m[1]!] = Number(m[2]);
  return counts;
}

function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[k] ?? 0) - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

describe.each(databaseTargets())("admin authentication end to end on $name", (target) => {
  let t: TestApp;
  const clock = new AdvancingClock();
  /** A second admin certificate (another SPIFFE ID under /admin/) and one with the same ID as the dev admin but another key. */
  let secondAdmin: PemPair;
  let sameIdOtherKey: PemPair;

  const clientsWith = (cert: PemPair, interceptors: Interceptor[] = []) => {
    const transport = createGrpcTransport({
      baseUrl: t.baseUrl,
      interceptors,
      nodeOptions: { ca: readFileSync(t.material.caCertFile), cert: cert.certPem, key: cert.keyPem },
    });
    return { admin: createClient(AdminService, transport), registry: createClient(AgentRegistryService, transport) };
  };
  const exchange = (cert: PemPair, orgId = "") =>
    clientsWith(cert).admin.exchangeToken({ orgId }, { headers: { "x-admin-api-key": t.adminApiKey } });

  beforeAll(async () => {
    t = await startTestApp({ database: target, clock });
    const ca: PemPair = { certPem: readFileSync(t.material.caCertFile, "utf8"), keyPem: readFileSync(t.material.caKeyFile, "utf8") };
    const trustDomain = t.config.peers.trustDomain;
    secondAdmin = await createLeaf(ca, { kind: "client", commonName: "second admin", spiffeId: `spiffe://${trustDomain}/admin/second` }, Date.now());
    sameIdOtherKey = await createLeaf(ca, { kind: "client", commonName: "admin twin", spiffeId: t.material.clients.admin.identity }, Date.now());
  });
  afterAll(async () => {
    await t?.close();
  });

  it("the right key gives an admin+jwt accepted on CreateOrg; counted as token_issued and jwt", async () => {
    const before = await adminAuthCounts(t);
    const admin = t.client(AdminService, "admin");
    const res = await admin.exchangeToken({}, { headers: { "x-admin-api-key": t.adminApiKey } });
    expect(res.tokenType).toBe("Bearer");
    expect(res.subject).toBe(t.material.clients.admin.identity);
    const [header] = res.accessToken.split(".");
    expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toMatchObject({ typ: "admin+jwt", alg: "ES256" });
    const authed = t.client(AdminService, "admin", [bearer(res.accessToken)]);
    const { org } = await authed.createOrg({ name: "Admin auth" });
    expect(org!.id).toMatch(/^org_/);
    expect(delta(before, await adminAuthCounts(t))).toEqual({ token_issued: 1, jwt: 1 });
  });

  it("a wrong or missing API key is UNAUTHENTICATED (api_key_invalid, missing); a missing bearer too (missing)", async () => {
    const before = await adminAuthCounts(t);
    const admin = t.client(AdminService, "admin");
    const wrong = await failureOf(admin.exchangeToken({}, { headers: { "x-admin-api-key": `${t.adminApiKey}x` } }));
    expect(wrong.code).toBe(Code.Unauthenticated);
    const missing = await failureOf(admin.exchangeToken({}));
    expect(missing.code).toBe(Code.Unauthenticated);
    const noBearer = await failureOf(admin.createOrg({ name: "no token" }));
    expect(noBearer.code).toBe(Code.Unauthenticated);
    expect(delta(before, await adminAuthCounts(t))).toEqual({ api_key_invalid: 1, missing: 2 });
  });

  it("a peer without the admin role (relying party) is PERMISSION_DENIED on ExchangeToken, even with the key", async () => {
    const rp = t.client(AdminService, "relyingParty");
    const err = await failureOf(rp.exchangeToken({}, { headers: { "x-admin-api-key": t.adminApiKey } }));
    expect(err.code).toBe(Code.PermissionDenied);
  });

  it("tampered tokens, a wrong typ (an agent credential, a re-signed token) and a wrong audience are UNAUTHENTICATED (jwt_invalid)", async () => {
    const { token, registry } = await t.adminClients();
    const { org } = await t.client(AdminService, "admin", [bearer(token)]).createOrg({ name: "Typ test" });
    const agent = await registerAgent(t, { registry, orgId: org!.id });
    const [h, p, s] = token.split(".") as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
    const signingJwk = JSON.parse(readFileSync(t.config.admin.jwtPrivateJwkFile!, "utf8")) as JWK;
    const signingKey = await importJWK(signingJwk, "ES256");
    const resign = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", ...header }).sign(signingKey);
    const flip = (part: string) => (part[5] === "A" ? `${part.slice(0, 5)}B${part.slice(6)}` : `${part.slice(0, 5)}A${part.slice(6)}`);

    // Positive control: the re-signing key and claims are right.
    const control = await resign({ typ: "admin+jwt" }, payload);
    await t.client(AdminService, "admin", [bearer(control)]).getOrg({ orgId: org!.id });

    const refused: Record<string, string> = {
      "tampered payload (extended lifetime)": `${h}.${Buffer.from(JSON.stringify({ ...payload, exp: (payload.exp as number) + 3600 })).toString("base64url")}.${s}`,
      "tampered signature": `${h}.${p}.${flip(s)}`,
      "unsigned (alg none)": `${Buffer.from(JSON.stringify({ alg: "none", typ: "admin+jwt" })).toString("base64url")}.${p}.`,
      "agent credential as bearer": agent.credential,
      "correctly signed, typ JWT": await resign({ typ: "JWT" }, payload),
      "correctly signed, typ agent-cred+jwt": await resign({ typ: "agent-cred+jwt" }, payload),
      "correctly signed, wrong audience": await resign({ typ: "admin+jwt" }, { ...payload, aud: "https://elsewhere.example/admin" }),
      "correctly signed, wrong issuer": await resign({ typ: "admin+jwt" }, { ...payload, iss: "https://elsewhere.example" }),
      "not a JWT": "not-a-jwt",
    };
    const before = await adminAuthCounts(t);
    for (const [kind, presented] of Object.entries(refused)) {
      const err = await failureOf(t.client(AdminService, "admin", [bearer(presented)]).getOrg({ orgId: org!.id }));
      expect.soft(err.code, kind).toBe(Code.Unauthenticated);
    }
    expect(delta(before, await adminAuthCounts(t))).toEqual({ jwt_invalid: Object.keys(refused).length });
  });

  it("a token bound to the dev admin certificate is refused from a second admin certificate and from a same-ID certificate with another key", async () => {
    const { token } = await t.adminClients();
    for (const cert of [secondAdmin, sameIdOtherKey]) {
      const err = await failureOf(clientsWith(cert, [bearer(token)]).admin.createOrg({ name: "stolen token" }));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toContain("another certificate");
    }
    // Each certificate can get and use its own token (the refusal is the binding, not the certificate).
    for (const cert of [secondAdmin, sameIdOtherKey]) {
      const own = await exchange(cert);
      await clientsWith(cert, [bearer(own.accessToken)]).admin.createOrg({ name: `own token ${own.subject}` });
      const back = await failureOf(t.client(AdminService, "admin", [bearer(own.accessToken)]).createOrg({ name: "reverse" }));
      expect(back.code).toBe(Code.Unauthenticated);
    }
  });

  it("an org-scoped token works in its org and is PERMISSION_DENIED on another org, its agents and cross-org calls", async () => {
    const full = await t.adminClients();
    const mine = (await full.admin.createOrg({ name: "Scoped mine" })).org!.id;
    const theirs = (await full.admin.createOrg({ name: "Scoped theirs" })).org!.id;
    const myAgent = await registerAgent(t, { registry: full.registry, orgId: mine });
    const theirAgent = await registerAgent(t, { registry: full.registry, orgId: theirs });

    const scoped = await t.client(AdminService, "admin").exchangeToken({ orgId: mine }, { headers: { "x-admin-api-key": t.adminApiKey } });
    expect(scoped.orgId).toBe(mine);
    const admin = t.client(AdminService, "admin", [bearer(scoped.accessToken)]);
    const registry = t.client(AgentRegistryService, "admin", [bearer(scoped.accessToken)]);

    // Allowed within its org.
    expect((await admin.getOrg({ orgId: mine })).org!.id).toBe(mine);
    expect((await registry.getAgent({ agentId: myAgent.agentId })).agent!.orgId).toBe(mine);
    const listed = await registry.listAgents({});
    expect(listed.agents.map((a) => a.orgId)).toEqual([mine]);
    const second = await registerAgent(t, { registry, orgId: mine, displayName: "scoped registration" });
    expect(second.agentId).toMatch(/^agt_/);

    // Refused elsewhere.
    const denied: Record<string, () => Promise<unknown>> = {
      "GetOrg of another org": () => admin.getOrg({ orgId: theirs }),
      "GetAgent of another org's agent": () => registry.getAgent({ agentId: theirAgent.agentId }),
      "RevokeAgent of another org's agent": () => registry.revokeAgent({ agentId: theirAgent.agentId, reason: "not mine" }),
      "IssueCredential for another org's agent": () => registry.issueCredential({ agentId: theirAgent.agentId }),
      "ListAgents of another org": () => registry.listAgents({ orgId: theirs }),
      "CreateOrg (spans organisations)": () => admin.createOrg({ name: "new org" }),
      "RegisterAgent in another org": () => registerAgent(t, { registry, orgId: theirs }),
      "ListAuditEvents of another org": () => admin.listAuditEvents({ orgId: theirs }),
      "ExportAudit (the chain spans organisations)": async () => {
        for await (const _ of admin.exportAudit({})) void _;
      },
    };
    for (const [kind, call] of Object.entries(denied)) {
      const err = await failureOf(call());
      expect.soft(err.code, kind).toBe(Code.PermissionDenied);
    }
    // Its audit view is its own organisation's events.
    const audit = await admin.listAuditEvents({ pageSize: 500 });
    expect(audit.events.length).toBeGreaterThan(0);
    expect(audit.events.every((e) => e.orgId === mine)).toBe(true);
    // ListOrgs with an org-scoped token shows exactly its own organisation.
    expect((await admin.listOrgs({})).orgs.map((o) => o.id)).toEqual([mine]);
    // The other org's agent is untouched.
    expect((await full.registry.getAgent({ agentId: theirAgent.agentId })).agent!.revokeReason).toBe("");
  });

  it("ExchangeToken refuses a lifetime outside 60..900 s naming ttl_seconds, and an org_id that is not an org id", async () => {
    const admin = t.client(AdminService, "admin");
    const headers = { "x-admin-api-key": t.adminApiKey };
    for (const ttlSeconds of [30, 901]) {
      const err = await failureOf(admin.exchangeToken({ ttlSeconds }, { headers }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(violatedFields(err)).toEqual(["ttl_seconds"]);
    }
    const badOrg = await failureOf(admin.exchangeToken({ orgId: "acme" }, { headers }));
    expect(violatedFields(badOrg)).toEqual(["org_id"]);
    const longest = await admin.exchangeToken({ ttlSeconds: 900 }, { headers });
    expect(Number(longest.expireTime!.seconds) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(900);
  });

  it("failed exchanges are rate limited per peer: after 5 wrong keys even the right key is RESOURCE_EXHAUSTED for that peer only", async () => {
    const ca: PemPair = { certPem: readFileSync(t.material.caCertFile, "utf8"), keyPem: readFileSync(t.material.caKeyFile, "utf8") };
    const limited = await createLeaf(
      ca,
      { kind: "client", commonName: "limited admin", spiffeId: `spiffe://${t.config.peers.trustDomain}/admin/limited` },
      Date.now(),
    );
    const client = clientsWith(limited).admin;
    for (let i = 0; i < 5; i++) {
      const err = await failureOf(client.exchangeToken({}, { headers: { "x-admin-api-key": `wrong-${i}` } }));
      expect(err.code).toBe(Code.Unauthenticated);
    }
    const locked = await failureOf(client.exchangeToken({}, { headers: { "x-admin-api-key": t.adminApiKey } }));
    expect(locked.code).toBe(Code.ResourceExhausted);
    // Another peer is not affected.
    expect((await exchange(secondAdmin)).accessToken).toMatch(/^ey/);
  });

  it("an expired token is UNAUTHENTICATED (jwt_invalid); a fresh exchange works again", async () => {
    const admin = t.client(AdminService, "admin");
    const short = await admin.exchangeToken({ ttlSeconds: 60 }, { headers: { "x-admin-api-key": t.adminApiKey } });
    const authed = t.client(AdminService, "admin", [bearer(short.accessToken)]);
    await authed.listOrgs({ pageSize: 1 });
    const before = await adminAuthCounts(t);
    clock.offsetMs += 61_000;
    try {
      const err = await failureOf(authed.listOrgs({ pageSize: 1 }));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toContain("expired");
      expect(delta(before, await adminAuthCounts(t))).toEqual({ jwt_invalid: 1 });
      const fresh = await admin.exchangeToken({ ttlSeconds: 60 }, { headers: { "x-admin-api-key": t.adminApiKey } });
      await t.client(AdminService, "admin", [bearer(fresh.accessToken)]).listOrgs({ pageSize: 1 });
    } finally {
      clock.offsetMs = 0;
    }
  });
});
