/** AdminTokenService: API key exchange, admin JWT checks (expiry, tampering, typ, audience, binding), rate limit. */
import { createHash, randomBytes } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { signerFromPrivateJwk } from "../../src/adapters/signer/file-signer.js";
import { createP256PrivateJwk } from "../../src/config/dev-keys.js";
import { hashAdminApiKey } from "../../src/domain/admin/api-keys.js";
import { requireAdminMayActOn, requireUnrestrictedAdmin } from "../../src/domain/admin/org-scope.js";
import type { AdminAuthResult } from "../../src/domain/admin/ports.js";
import { AdminTokenService } from "../../src/domain/admin/token-service.js";
import { ManualClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { newId } from "../../src/domain/ids.js";
import { signJwt } from "../support/jws.js";
import type { Signer } from "../../src/domain/issuer/signer.js";
import type { Peer, Role } from "../../src/domain/peer.js";

const ISSUER = "https://agent-identity.local";
const KEY = "k".repeat(20) + "-current-admin-key";
const NEXT_KEY = "n".repeat(20) + "-next-admin-key";

function peer(identity: string, roles: Role[]): Peer {
  return { identity, roles: new Set(roles), certThumbprint: createHash("sha256").update(randomBytes(32)).digest("base64url") };
}

const admin = peer("spiffe://agent-identity.local/admin/cli", ["admin"]);

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

let signer: Signer;
let otherSigner: Signer;
let clock: ManualClock;
let results: AdminAuthResult[];
let service: AdminTokenService;

function makeService(hashes = [hashAdminApiKey(KEY)]): AdminTokenService {
  return new AdminTokenService({
    issuerUrl: ISSUER,
    apiKeyHashes: hashes,
    maxTtlSeconds: 900,
    signer,
    clock,
    onAdminAuth: (result) => results.push(result),
  });
}

beforeEach(async () => {
  signer = await signerFromPrivateJwk(await createP256PrivateJwk());
  otherSigner = await signerFromPrivateJwk(await createP256PrivateJwk());
  clock = new ManualClock();
  results = [];
  service = makeService();
});

/** Claims as the service would write them, for hand-made tokens. */
function claimsFor(p: Peer, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(clock.nowMs() / 1000);
  return {
    iss: ISSUER,
    aud: `${ISSUER}/admin`,
    sub: p.identity,
    scope: "admin",
    jti: "jti-1",
    iat,
    exp: iat + 600,
    cnf: { "x5t#S256": p.certThumbprint },
    ...overrides,
  };
}

describe("exchange", () => {
  it("issues an ES256 admin+jwt bound to the certificate that authenticate accepts", async () => {
    const issued = await service.exchange(admin, KEY, {}, "req-1");
    const header = decodeProtectedHeader(issued.token);
    expect(header).toMatchObject({ typ: "admin+jwt", alg: "ES256", kid: signer.kid });
    const claims = decodeJwt(issued.token);
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: `${ISSUER}/admin`,
      sub: admin.identity,
      scope: "admin",
      cnf: { "x5t#S256": admin.certThumbprint },
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.org_id).toBeUndefined();
    expect(issued).toMatchObject({ subject: admin.identity, tokenId: claims.jti, expiresAtMs: claims.exp! * 1000 });

    const principal = await service.authenticate(admin, `Bearer ${issued.token}`, "mtls");
    expect(principal).toEqual({ subject: admin.identity, orgId: undefined, tokenId: claims.jti });
    expect(results).toEqual(["token_issued", "jwt"]);
  });

  it("refuses a wrong key", async () => {
    const error = await rejection(service.exchange(admin, "wrong-key-wrong-key-wrong", {}, "req"));
    expect([error.kind, error.code]).toEqual(["unauthenticated", "admin.key_invalid"]);
    expect(results).toEqual(["api_key_invalid"]);
  });

  it("refuses a missing key", async () => {
    for (const missing of [undefined, ""]) {
      const error = await rejection(service.exchange(admin, missing, {}, "req"));
      expect([error.kind, error.code]).toEqual(["unauthenticated", "admin.key_missing"]);
    }
    expect(results).toEqual(["missing", "missing"]);
  });

  it("refuses a peer without the admin role even with the right key", async () => {
    const rp = peer("spiffe://agent-identity.local/rp/example", ["relying-party"]);
    const error = await rejection(service.exchange(rp, KEY, {}, "req"));
    expect([error.kind, error.code]).toEqual(["permission_denied", "admin.role_required"]);
  });

  it("accepts both configured keys (rotation) and no other", async () => {
    service = makeService([hashAdminApiKey(KEY), hashAdminApiKey(NEXT_KEY)]);
    for (const key of [KEY, NEXT_KEY]) {
      const { token } = await service.exchange(admin, key, {}, "req");
      await expect(service.authenticate(admin, `Bearer ${token}`, "mtls")).resolves.toMatchObject({ subject: admin.identity });
    }
    expect((await rejection(service.exchange(admin, `${KEY}x`, {}, "req"))).code).toBe("admin.key_invalid");
  });

  it("honours a requested lifetime and refuses one outside 60..max", async () => {
    const { token } = await service.exchange(admin, KEY, { ttlSeconds: 120 }, "req");
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.iat!).toBe(120);
    for (const ttlSeconds of [59, 901, 1.5]) {
      const error = await rejection(service.exchange(admin, KEY, { ttlSeconds }, "req"));
      expect([error.kind, error.code, error.fieldViolations[0]?.field]).toEqual(["invalid_argument", "admin.ttl_invalid", "ttl_seconds"]);
    }
  });

  it("caps the lifetime at the configured maximum", async () => {
    service = new AdminTokenService({ issuerUrl: ISSUER, apiKeyHashes: [hashAdminApiKey(KEY)], maxTtlSeconds: 300, signer, clock });
    const claims = decodeJwt((await service.exchange(admin, KEY, {}, "req")).token);
    expect(claims.exp! - claims.iat!).toBe(300);
    expect((await rejection(service.exchange(admin, KEY, { ttlSeconds: 600 }, "req"))).code).toBe("admin.ttl_invalid");
  });

  it("refuses an admin-token key that is not ES256 and a max ttl above 15 minutes", async () => {
    const { generateKeyPair, exportJWK } = await import("jose");
    const ed = await exportJWK((await generateKeyPair("EdDSA", { extractable: true })).privateKey);
    const edSigner = await signerFromPrivateJwk(ed);
    const base = { issuerUrl: ISSUER, apiKeyHashes: [hashAdminApiKey(KEY)], clock };
    expect(() => new AdminTokenService({ ...base, maxTtlSeconds: 900, signer: edSigner })).toThrow(/ES256/);
    expect(() => new AdminTokenService({ ...base, maxTtlSeconds: 901, signer })).toThrow(/max ttl/);
  });
});

describe("failed exchange rate limit", () => {
  it("refuses every attempt from a peer after 5 failures in a minute, until the window passes", async () => {
    for (let i = 0; i < 5; i++) await rejection(service.exchange(admin, "wrong-key-wrong-key", {}, "req"));
    clock.advance(10_000);
    const limited = await rejection(service.exchange(admin, KEY, {}, "req"));
    expect([limited.kind, limited.code]).toEqual(["resource_exhausted", "admin.exchange_rate_limited"]);
    expect(limited.retryAfterMs).toBe(50_000);

    const otherAdmin = peer("spiffe://agent-identity.local/admin/ops", ["admin"]);
    await expect(service.exchange(otherAdmin, KEY, {}, "req")).resolves.toMatchObject({ subject: otherAdmin.identity });

    clock.advance(50_000);
    await expect(service.exchange(admin, KEY, {}, "req")).resolves.toMatchObject({ subject: admin.identity });
  });

  it("counts missing keys as failures and does not count successes", async () => {
    for (let i = 0; i < 4; i++) await rejection(service.exchange(admin, undefined, {}, "req"));
    await service.exchange(admin, KEY, {}, "req");
    await service.exchange(admin, KEY, {}, "req");
    await rejection(service.exchange(admin, "wrong-key-wrong-key", {}, "req"));
    expect((await rejection(service.exchange(admin, KEY, {}, "req"))).code).toBe("admin.exchange_rate_limited");
  });
});

describe("authenticate", () => {
  let token: string;
  beforeEach(async () => {
    token = (await service.exchange(admin, KEY, { ttlSeconds: 60 }, "req")).token;
    results = [];
  });

  /** The refusal for `authorization` presented by `by` (an explicit `{ peer: undefined }` means no certificate). */
  async function refused(authorization: string | undefined, by: { peer: Peer | undefined } = { peer: admin }, listener: "mtls" | "browser" | "sidecar" = "mtls") {
    return rejection(service.authenticate(by.peer, authorization, listener));
  }

  it("refuses a missing token", async () => {
    for (const missing of [undefined, "", "  "]) {
      const error = await refused(missing);
      expect([error.kind, error.code]).toEqual(["unauthenticated", "admin.token_missing"]);
    }
    expect(results).toEqual(["missing", "missing", "missing"]);
  });

  it("refuses a non-bearer authorization header", async () => {
    expect((await refused(`Basic ${token}`)).code).toBe("admin.token_invalid");
    expect((await refused(token)).code).toBe("admin.token_invalid");
    await expect(service.authenticate(admin, `bearer ${token}`, "mtls")).resolves.toBeDefined();
  });

  it("accepts the token until exp and refuses it from exp on (injected clock)", async () => {
    clock.advance(59_999);
    await expect(service.authenticate(admin, `Bearer ${token}`, "mtls")).resolves.toBeDefined();
    clock.advance(1);
    const error = await refused(`Bearer ${token}`);
    expect([error.kind, error.code, error.message]).toEqual(["unauthenticated", "admin.token_expired", "admin token expired"]);
    expect(results).toEqual(["jwt", "jwt_invalid"]);
  });

  it("refuses a tampered token", async () => {
    const [h, p, s] = token.split(".") as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(token), org_id: undefined, sub: "spiffe://agent-identity.local/admin/evil" })).toString("base64url");
    expect((await refused(`Bearer ${h}.${forgedPayload}.${s}`)).code).toBe("admin.token_invalid");
    const flipped = s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11);
    expect((await refused(`Bearer ${h}.${p}.${flipped}`)).code).toBe("admin.token_invalid");
    expect((await refused("Bearer not-a-jwt")).code).toBe("admin.token_invalid");
    expect(results).toEqual(["jwt_invalid", "jwt_invalid", "jwt_invalid"]);
  });

  it("refuses a token of another typ signed by the same key", async () => {
    for (const typ of ["agent-cred+jwt", "JWT", "agent-session+jwt"]) {
      const other = await signJwt(signer, { typ }, claimsFor(admin));
      expect((await refused(`Bearer ${other}`)).code).toBe("admin.token_invalid");
    }
    const control = await signJwt(signer, { typ: "admin+jwt" }, claimsFor(admin));
    await expect(service.authenticate(admin, `Bearer ${control}`, "mtls")).resolves.toMatchObject({ tokenId: "jti-1" });
  });

  it("refuses a wrong audience or issuer", async () => {
    for (const overrides of [{ aud: ISSUER }, { aud: "https://other.example/admin" }, { iss: "https://other.example" }]) {
      const other = await signJwt(signer, { typ: "admin+jwt" }, claimsFor(admin, overrides));
      expect((await refused(`Bearer ${other}`)).code).toBe("admin.token_invalid");
    }
  });

  it("refuses a token signed by another key, or with an HMAC alg", async () => {
    const foreign = await signJwt(otherSigner, { typ: "admin+jwt" }, claimsFor(admin));
    expect((await refused(`Bearer ${foreign}`)).code).toBe("admin.token_invalid");
    const hmac = await new SignJWT(claimsFor(admin))
      .setProtectedHeader({ alg: "HS256", typ: "admin+jwt" })
      .sign(new TextEncoder().encode(KEY));
    expect((await refused(`Bearer ${hmac}`)).code).toBe("admin.token_invalid");
  });

  it("refuses claims this service would never issue", async () => {
    const iat = Math.floor(clock.nowMs() / 1000);
    for (const overrides of [
      { scope: "user" },
      { cnf: undefined },
      { exp: iat + 901 },
      { org_id: "not-an-org" },
    ]) {
      const other = await signJwt(signer, { typ: "admin+jwt" }, claimsFor(admin, overrides));
      expect((await refused(`Bearer ${other}`)).code).toBe("admin.token_invalid");
    }
  });

  it("refuses the token from another client certificate, or without one", async () => {
    const sameNameOtherCert = peer(admin.identity, ["admin"]);
    const error = await refused(`Bearer ${token}`, { peer: sameNameOtherCert });
    expect([error.kind, error.code, error.message]).toEqual([
      "unauthenticated",
      "admin.cert_mismatch",
      "admin token bound to another certificate",
    ]);
    // On the browser listener a certificate-bound token names the wrong audience.
    expect((await refused(`Bearer ${token}`, { peer: undefined }, "browser")).code).toBe("admin.token_invalid");
    expect((await refused(`Bearer ${token}`, { peer: admin }, "sidecar")).code).toBe("admin.listener_refused");
  });

  it("refuses a bound token when the peer no longer holds the admin role", async () => {
    const demoted: Peer = { ...admin, roles: new Set<Role>(["relying-party"]) };
    const error = await refused(`Bearer ${token}`, { peer: demoted });
    expect([error.kind, error.code]).toEqual(["permission_denied", "admin.role_required"]);
  });
});

describe("org-scoped tokens", () => {
  it("carry org_id and only act within that organisation", async () => {
    const orgId = newId("org");
    const issued = await service.exchange(admin, KEY, { orgId }, "req");
    expect(issued.orgId).toBe(orgId);
    expect(decodeJwt(issued.token).org_id).toBe(orgId);
    const principal = await service.authenticate(admin, `Bearer ${issued.token}`, "mtls");
    expect(principal.orgId).toBe(orgId);

    expect(() => requireAdminMayActOn(principal, orgId)).not.toThrow();
    let denied: unknown;
    try {
      requireAdminMayActOn(principal, newId("org"));
    } catch (e) {
      denied = e;
    }
    expect(denied).toBeInstanceOf(DomainError);
    expect([(denied as DomainError).kind, (denied as DomainError).code]).toEqual(["permission_denied", "admin.org_forbidden"]);
    expect(() => requireUnrestrictedAdmin(principal)).toThrow(DomainError);

    const unrestricted = await service.authenticate(admin, `Bearer ${(await service.exchange(admin, KEY, {}, "req")).token}`, "mtls");
    expect(() => requireAdminMayActOn(unrestricted, newId("org"))).not.toThrow();
    expect(() => requireUnrestrictedAdmin(unrestricted)).not.toThrow();
  });

  it("refuses an org_id that is not an org id", async () => {
    const error = await rejection(service.exchange(admin, KEY, { orgId: "acme" }, "req"));
    expect([error.kind, error.code, error.fieldViolations[0]?.field]).toEqual(["invalid_argument", "admin.org_id_invalid", "org_id"]);
  });
});
