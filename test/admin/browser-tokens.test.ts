/** AdminTokenService on the browser listener: browser-audience tokens, failure limits per client and global. */
import { decodeJwt } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { signerFromPrivateJwk } from "../../src/adapters/signer/file-signer.js";
import { createP256PrivateJwk } from "../../src/config/dev-keys.js";
import { hashAdminApiKey } from "../../src/domain/admin/api-keys.js";
import { AdminTokenService } from "../../src/domain/admin/token-service.js";
import { ManualClock } from "../../src/domain/clock.js";
import { DomainError } from "../../src/domain/errors.js";
import { signJwt } from "../support/jws.js";
import type { Signer } from "../../src/domain/issuer/signer.js";

const ISSUER = "https://agent-identity.local";
const KEY = "k".repeat(20) + "-current-admin-key";

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

let signer: Signer;
let clock: ManualClock;
let service: AdminTokenService;

function makeService(browser = true): AdminTokenService {
  return new AdminTokenService({
    issuerUrl: ISSUER,
    apiKeyHashes: [hashAdminApiKey(KEY)],
    maxTtlSeconds: 900,
    signer,
    clock,
    ...(browser ? { browser: { ttlSeconds: 600, perClient: { maxFailures: 3, windowMs: 60_000 }, global: { maxFailures: 5, windowMs: 60_000 } } } : {}),
  });
}

beforeEach(async () => {
  signer = await signerFromPrivateJwk(await createP256PrivateJwk());
  clock = new ManualClock();
  service = makeService();
});

describe("browser admin tokens", () => {
  it("carry the browser audience, no certificate binding, the client as subject and the configured lifetime", async () => {
    const issued = await service.exchangeForBrowser("203.0.113.7", KEY, "req");
    const claims = decodeJwt(issued.token);
    expect(claims).toMatchObject({ aud: `${ISSUER}/admin/browser`, sub: "browser:203.0.113.7", scope: "admin", iss: ISSUER });
    expect(claims.cnf).toBeUndefined();
    expect(claims.exp! - claims.iat!).toBe(600);
    await expect(service.authenticate(undefined, `Bearer ${issued.token}`, "browser")).resolves.toMatchObject({ subject: "browser:203.0.113.7" });
    expect((await rejection(service.authenticate(undefined, `Bearer ${issued.token}`, "mtls"))).code).toBe("admin.token_invalid");
    clock.advance(600_000);
    expect((await rejection(service.authenticate(undefined, `Bearer ${issued.token}`, "browser"))).code).toBe("admin.token_expired");
  });

  it("refuses a browser-audience token carrying a certificate binding, and every browser token when browser admin is off", async () => {
    const iat = Math.floor(clock.nowMs() / 1000);
    const claims = { iss: ISSUER, aud: `${ISSUER}/admin/browser`, sub: "browser:x", scope: "admin", jti: "browser-token-id-0123456789", iat, exp: iat + 60 };
    const bound = await signJwt(signer, { typ: "admin+jwt" }, { ...claims, cnf: { "x5t#S256": "a".repeat(43) } });
    expect((await rejection(service.authenticate(undefined, `Bearer ${bound}`, "browser"))).code).toBe("admin.token_invalid");
    const plain = await signJwt(signer, { typ: "admin+jwt" }, claims);
    await expect(service.authenticate(undefined, `Bearer ${plain}`, "browser")).resolves.toBeDefined();
    const off = makeService(false);
    expect((await rejection(off.authenticate(undefined, `Bearer ${plain}`, "browser"))).code).toBe("admin.listener_refused");
    expect((await rejection(off.exchangeForBrowser("198.51.100.1", KEY, "req"))).code).toBe("admin.browser_disabled");
  });

  it("limits failures per client address: even the right key is refused while limited, with a retry hint", async () => {
    for (let i = 0; i < 3; i++) expect((await rejection(service.exchangeForBrowser("198.51.100.1", "wrong-key-wrong-key", "r"))).code).toBe("admin.key_invalid");
    const limited = await rejection(service.exchangeForBrowser("198.51.100.1", KEY, "r"));
    expect([limited.kind, limited.code]).toEqual(["resource_exhausted", "admin.exchange_rate_limited"]);
    expect(limited.retryAfterMs).toBe(60_000);
    // Another address is not limited by this one's failures.
    await expect(service.exchangeForBrowser("198.51.100.2", KEY, "r")).resolves.toBeDefined();
    clock.advance(60_000);
    await expect(service.exchangeForBrowser("198.51.100.1", KEY, "r")).resolves.toBeDefined();
  });

  it("limits failures across all addresses (the global window)", async () => {
    for (let i = 0; i < 5; i++) await rejection(service.exchangeForBrowser(`192.0.2.${i}`, undefined, "r"));
    const limited = await rejection(service.exchangeForBrowser("192.0.2.200", KEY, "r"));
    expect(limited.code).toBe("admin.exchange_rate_limited");
    clock.advance(60_000);
    await expect(service.exchangeForBrowser("192.0.2.200", KEY, "r")).resolves.toBeDefined();
  });
});
