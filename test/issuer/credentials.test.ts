/** Credentials: issuing, the verify-path check (every rejection reason), caching, and issuer key rotation and revoke. */
import { createHmac, generateKeyPairSync } from "node:crypto";
import { compactVerify, createLocalJWKSet, jwtVerify } from "jose";
import type { JWK } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { signerFromPrivateJwk } from "../../src/adapters/signer/file-signer.js";
import { MemoryIssuerKeyRepository } from "../../src/adapters/memory/issuer-key-repository.js";
import { ManualClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { CredentialVerifier, issueCredential } from "../../src/domain/issuer/credentials.js";
import type { CredentialSubject } from "../../src/domain/issuer/credentials.js";
import { buildJwks } from "../../src/domain/issuer/jwks.js";
import { signJwt } from "../support/jws.js";
import { IssuerKeySet } from "../../src/domain/issuer/key-set.js";
import type { Signer } from "../../src/domain/issuer/signer.js";

const ISS = "https://identity.example.test";
const TTL = 3600;
const agent: CredentialSubject = {
  id: "agt_0123456789abcdefghjkmnpqrs",
  orgId: "org_0123456789abcdefghjkmnpqrs",
  keyThumbprint: "jkt-of-the-agent-key",
  manifestHash: "hash-of-the-manifest",
};

async function newSigner(kind: "ec" | "ed25519" = "ec"): Promise<Signer> {
  const pair = kind === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  return signerFromPrivateJwk(pair.privateKey.export({ format: "jwk" }) as JWK);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

let clock: ManualClock;
let repository: MemoryIssuerKeyRepository;
let keySet: IssuerKeySet;
let verifier: CredentialVerifier;
let signerA: Signer;

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  repository = new MemoryIssuerKeyRepository();
  keySet = new IssuerKeySet({ repository, clock, maxCredentialTtlSeconds: TTL, publishGraceSeconds: 300 });
  verifier = new CredentialVerifier({ keySet, issuer: ISS, clock, leewaySeconds: 5 });
  signerA = await newSigner();
  await keySet.ensureActive(signerA);
});

const issue = (signer: Signer, nowMs = clock.nowMs(), ttlSeconds = TTL) =>
  issueCredential(signer, { issuer: ISS, agent, ttlSeconds, nowMs });

describe("issueCredential", () => {
  it("signs the DESIGN section 3 claims and verifies with jose against the published JWKS", async () => {
    const credential = await issue(signerA);
    expect(credential.kid).toBe(signerA.kid);
    expect(credential.jti).toMatch(/^crd_[0-9a-z]{26}$/);
    expect(credential.expiresAtMs - credential.issuedAtMs).toBe(TTL * 1000);
    const jwks = createLocalJWKSet(buildJwks(keySet.published()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload, protectedHeader } = await jwtVerify(credential.token, jwks, {
      issuer: ISS,
      typ: "agent-cred+jwt",
      algorithms: ["ES256"],
      currentDate: new Date(clock.nowMs()),
    });
    expect(protectedHeader).toEqual({ typ: "agent-cred+jwt", alg: "ES256", kid: signerA.kid });
    expect(payload).toEqual({
      iss: ISS,
      sub: agent.id,
      org_id: agent.orgId,
      cnf: { jkt: agent.keyThumbprint },
      cap_hash: agent.manifestHash,
      iat: clock.nowMs() / 1000,
      nbf: clock.nowMs() / 1000,
      exp: clock.nowMs() / 1000 + TTL,
      jti: credential.jti,
    });
  });
});

describe("CredentialVerifier.check", () => {
  it("accepts a fresh credential and returns its claims; caches the positive result", async () => {
    const credential = await issue(signerA);
    const result = await verifier.check(credential.token);
    expect(result).toEqual({
      ok: true,
      claims: {
        agentId: agent.id,
        orgId: agent.orgId,
        jkt: agent.keyThumbprint,
        capHash: agent.manifestHash,
        exp: credential.expiresAtMs / 1000,
        jti: credential.jti,
        kid: signerA.kid,
      },
    });
    expect(verifier.cachedCount).toBe(1);
    expect(await verifier.check(credential.token)).toEqual(result);
    expect(verifier.cachedCount).toBe(1);
  });

  it("accepts an EdDSA issuer key", async () => {
    const ed = await newSigner("ed25519");
    await keySet.ensureActive(ed);
    expect(await verifier.check((await issue(ed)).token)).toMatchObject({ ok: true, claims: { kid: ed.kid } });
  });

  it("expired: only the configured leeway past exp, also for a cached result", async () => {
    const credential = await issue(signerA);
    expect((await verifier.check(credential.token)).ok).toBe(true);
    clock.set(credential.expiresAtMs + 4_999);
    expect((await verifier.check(credential.token)).ok).toBe(true);
    clock.set(credential.expiresAtMs + 5_000);
    expect(await verifier.check(credential.token)).toEqual({ ok: false, reason: "expired" });
    expect(verifier.cachedCount).toBe(0);
    expect(await verifier.check(credential.token)).toEqual({ ok: false, reason: "expired" });
  });

  it("not_yet_valid: nbf beyond the leeway", async () => {
    const credential = await issue(signerA, clock.nowMs() + 60_000);
    expect(await verifier.check(credential.token)).toEqual({ ok: false, reason: "not_yet_valid" });
  });

  it("wrong_token_type: another typ or another iss; a token without the credential claims is invalid_argument", async () => {
    const now = clock.nowMs() / 1000;
    const proofTyp = await signJwt(signerA, { typ: "agent-proof+jwt" }, { iss: ISS, sub: agent.id, exp: now + 60 });
    expect(await verifier.check(proofTyp)).toEqual({ ok: false, reason: "wrong_token_type" });
    const otherIss = await issueCredential(signerA, { issuer: "https://other.test", agent, ttlSeconds: TTL, nowMs: clock.nowMs() });
    expect(await verifier.check(otherIss.token)).toEqual({ ok: false, reason: "wrong_token_type" });
    const bare = await signJwt(signerA, { typ: "agent-cred+jwt" }, { iss: ISS, sub: agent.id, nbf: now, exp: now + 60 });
    await expect(verifier.check(bare)).rejects.toMatchObject({ kind: "invalid_argument", code: "credential.malformed", fieldViolations: [{ field: "credential" }] });
  });

  it("wrong_token_type: alg none with our kid (the alg is not the key's)", async () => {
    const { token } = await issue(signerA);
    const [, payload] = token.split(".");
    const none = `${b64({ alg: "none", typ: "agent-cred+jwt", kid: signerA.kid })}.${payload}.`;
    expect(await verifier.check(none)).toEqual({ ok: false, reason: "wrong_token_type" });
  });

  it("wrong_token_type: HS256 with the issuer public key as the HMAC secret", async () => {
    const { token } = await issue(signerA);
    const [, payload] = token.split(".");
    const header = b64({ alg: "HS256", typ: "agent-cred+jwt", kid: signerA.kid });
    for (const secret of [JSON.stringify(signerA.publicJwk), JSON.stringify(buildJwks(keySet.published()).keys[0])]) {
      const mac = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
      expect(await verifier.check(`${header}.${payload}.${mac}`)).toEqual({ ok: false, reason: "wrong_token_type" });
    }
  });

  it("bad_signature: another key claiming our kid, and a changed payload", async () => {
    const impostor = await newSigner();
    const forged = await issue({ ...impostor, kid: signerA.kid, sign: (d) => impostor.sign(d) });
    expect(await verifier.check(forged.token)).toEqual({ ok: false, reason: "bad_signature" });
    const { token } = await issue(signerA);
    const [h, , s] = token.split(".");
    const tampered = `${h}.${b64({ ...JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()), cap_hash: "x" })}.${s}`;
    expect(await verifier.check(tampered)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("unknown_issuer_key: a token from another issuer key, or without kid", async () => {
    const stranger = await newSigner();
    expect(await verifier.check((await issue(stranger)).token)).toEqual({ ok: false, reason: "unknown_issuer_key" });
    const { token } = await issue(signerA);
    const [, payload, signature] = token.split(".");
    const noKid = `${b64({ alg: "ES256", typ: "agent-cred+jwt" })}.${payload}.${signature}`;
    expect(await verifier.check(noKid)).toEqual({ ok: false, reason: "unknown_issuer_key" });
  });

  it("envelope faults are invalid_argument on the given field", async () => {
    for (const token of ["", "abc", "a.b", "a.b.c.d", "!!.b.c", `${b64({ alg: "ES256" }).slice(0, 5)}x.b.c`, "x".repeat(8193)]) {
      const error = await verifier.check(token, "credential_token").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).kind).toBe("invalid_argument");
      expect((error as DomainError).fieldViolations[0]!.field).toBe("credential_token");
    }
  });

  it("the positive cache is bounded", async () => {
    const small = new CredentialVerifier({ keySet, issuer: ISS, clock, cacheSize: 2 });
    for (let i = 0; i < 3; i++) expect((await small.check((await issue(signerA)).token)).ok).toBe(true);
    expect(small.cachedCount).toBe(2);
    small.close();
  });
});

describe("issuer key rotation", () => {
  it("a credential signed before rotation verifies until it expires; the retired key leaves the JWKS later", async () => {
    const before = await issue(signerA);
    expect((await verifier.check(before.token)).ok).toBe(true);
    clock.advance(10 * 60_000);
    const signerB = await newSigner();
    await keySet.ensureActive(signerB);
    expect(verifier.cachedCount).toBe(0); // flushed by the key-set change
    const retiredAtMs = clock.nowMs();
    expect(keySet.active()?.kid).toBe(signerB.kid);
    expect(keySet.all().find((r) => r.kid === signerA.kid)).toMatchObject({ status: "retired", retiredAtMs });
    expect(buildJwks(keySet.published()).keys.map((k) => k.kid)).toEqual([signerB.kid, signerA.kid]);

    expect((await verifier.check(before.token)).ok).toBe(true);
    const after = await issue(signerB);
    expect((await verifier.check(after.token)).ok).toBe(true);
    expect(after.kid).toBe(signerB.kid);

    clock.set(before.expiresAtMs + 5_000);
    expect(await verifier.check(before.token)).toEqual({ ok: false, reason: "expired" });
    expect(buildJwks(keySet.published()).keys.map((k) => k.kid)).toContain(signerA.kid);
    clock.set(retiredAtMs + (TTL + 300) * 1000);
    expect(buildJwks(keySet.published()).keys.map((k) => k.kid)).toEqual([signerB.kid]);
    expect(keySet.findPublished(signerA.kid)).toBeUndefined();
  });

  it("after an emergency revoke a cached, unexpired credential of that key is refused at once", async () => {
    const signerB = await newSigner();
    const old = await issue(signerA);
    await keySet.ensureActive(signerB);
    expect((await verifier.check(old.token)).ok).toBe(true);
    expect(verifier.cachedCount).toBe(1);
    let notified = 0;
    keySet.onChange(() => notified++);
    await keySet.revoke(signerA.kid);
    expect(notified).toBe(1);
    expect(verifier.cachedCount).toBe(0);
    expect(await verifier.check(old.token)).toEqual({ ok: false, reason: "unknown_issuer_key" });
    expect(buildJwks(keySet.published()).keys.map((k) => k.kid)).toEqual([signerB.kid]);
    expect(() => keySet.assertCanSign(signerA.kid)).toThrow(/signer unavailable/);
    // The revoked key can never become active again.
    const error = await keySet.ensureActive(signerA).catch((e: unknown) => e);
    expect((error as DomainError).code).toBe("issuer.key_revoked");
  });

  it("another replica sees a revoke on refresh() and flushes its cache", async () => {
    const signerB = await newSigner();
    await keySet.ensureActive(signerB);
    const old = await issue(signerA);
    const replicaKeys = new IssuerKeySet({ repository, clock, maxCredentialTtlSeconds: TTL });
    await replicaKeys.refresh();
    const replica = new CredentialVerifier({ keySet: replicaKeys, issuer: ISS, clock });
    expect((await replica.check(old.token)).ok).toBe(true);
    await keySet.revoke(signerA.kid);
    expect((await replica.check(old.token)).ok).toBe(true); // has not heard yet
    await replicaKeys.refresh();
    expect(await replica.check(old.token)).toEqual({ ok: false, reason: "unknown_issuer_key" });
  });

  it("ensureActive is idempotent, reactivates a retired key, and refuses a kid recorded with another key", async () => {
    let changes = 0;
    keySet.onChange(() => changes++);
    await keySet.ensureActive(signerA);
    expect(changes).toBe(0);
    const signerB = await newSigner();
    await keySet.ensureActive(signerB);
    await keySet.ensureActive(signerA); // roll back
    expect(keySet.active()?.kid).toBe(signerA.kid);
    expect(keySet.all().find((r) => r.kid === signerB.kid)?.status).toBe("retired");
    const impostor = await newSigner();
    const error = await keySet.ensureActive({ ...impostor, kid: signerA.kid, sign: (d) => impostor.sign(d) }).catch((e: unknown) => e);
    expect((error as DomainError).code).toBe("issuer.kid_conflict");
  });

  it("revoke of an unknown kid is not_found", async () => {
    const error = await keySet.revoke("nope").catch((e: unknown) => e);
    expect((error as DomainError).kind).toBe("not_found");
  });

  it("the JWKS carries public members, kid, alg and use only", async () => {
    const ed = await newSigner("ed25519");
    await keySet.ensureActive(ed);
    const doc = buildJwks(keySet.published());
    expect(doc.keys[0]).toEqual({ kty: "OKP", crv: "Ed25519", x: ed.publicJwk.x, kid: ed.kid, alg: "EdDSA", use: "sig" });
    expect(doc.keys[1]).toEqual({
      kty: "EC",
      crv: "P-256",
      x: signerA.publicJwk.x,
      y: signerA.publicJwk.y,
      kid: signerA.kid,
      alg: "ES256",
      use: "sig",
    });
    const token = (await issue(ed)).token;
    const key = createLocalJWKSet(doc as Parameters<typeof createLocalJWKSet>[0]);
    await expect(compactVerify(token, key)).resolves.toBeDefined();
  });
});
