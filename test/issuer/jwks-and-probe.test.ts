/** JWKS HTTP cache headers and the signer health probe. */
import { generateKeyPairSync } from "node:crypto";
import type { JWK } from "jose";
import { describe, expect, it } from "vitest";
import { signerFromPrivateJwk } from "../../src/adapters/signer/file-signer.js";
import { ManualClock } from "../../src/domain/clock.js";
import { unavailable } from "../../src/domain/errors.js";
import { buildJwks, createSignerProbe, etagMatches, type IssuerKeyRecord, jwksHttpResponse } from "../../src/domain/credentials/index.js";
import type { Signer } from "../../src/domain/keys/index.js";

async function signer(): Promise<Signer> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return signerFromPrivateJwk(privateKey.export({ format: "jwk" }) as JWK);
}

const record = (s: Signer): IssuerKeyRecord => ({ kid: s.kid, alg: s.alg, publicJwk: s.publicJwk, status: "active", createdAtMs: 0 });

describe("jwksHttpResponse", () => {
  it("short public caching and a strong ETag that follows the contents", async () => {
    const a = await signer();
    const first = jwksHttpResponse(buildJwks([record(a)]));
    expect(first.headers["cache-control"]).toBe("public, max-age=300");
    expect(first.headers["content-type"]).toBe("application/jwk-set+json");
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(JSON.parse(first.body)).toEqual(buildJwks([record(a)]));
    expect(jwksHttpResponse(buildJwks([record(a)])).etag).toBe(first.etag);
    const second = jwksHttpResponse(buildJwks([record(await signer()), record(a)]), 60);
    expect(second.etag).not.toBe(first.etag);
    expect(second.headers["cache-control"]).toBe("public, max-age=60");
    expect(etagMatches(first.etag, first.etag)).toBe(true);
    expect(etagMatches(`W/${first.etag}, "other"`, first.etag)).toBe(true);
    expect(etagMatches(second.etag, first.etag)).toBe(false);
    expect(etagMatches(undefined, first.etag)).toBe(false);
  });
});

describe("createSignerProbe", () => {
  it("caches the last result of a throw-away signature and reports failures without secrets", async () => {
    const real = await signer();
    let failing = false;
    let signatures = 0;
    const flaky: Signer = {
      kid: real.kid,
      alg: real.alg,
      publicJwk: real.publicJwk,
      sign: async (data) => {
        signatures++;
        if (failing) throw unavailable("signer.unavailable", "signer", Object.assign(new Error("x"), { name: "AccessDeniedException" }));
        return real.sign(data);
      },
    };
    const clock = new ManualClock();
    const probe = createSignerProbe(flaky, clock, 60_000);
    try {
      expect(await probe.checkNow()).toEqual({ ok: true, checkedAtMs: clock.nowMs() });
      const countAfterCheck = signatures;
      failing = true;
      expect(probe.status().ok).toBe(true); // cached: status() never signs
      expect(probe.status().ok).toBe(true);
      expect(signatures).toBe(countAfterCheck);
      clock.advance(1000);
      expect(await probe.checkNow()).toEqual({
        ok: false,
        error: "signer unavailable: AccessDeniedException",
        checkedAtMs: clock.nowMs(),
      });
      expect(probe.status().ok).toBe(false);
      failing = false;
      expect((await probe.checkNow()).ok).toBe(true);
    } finally {
      probe.stop();
    }
  });

  it("a signer that returns a malformed signature is unhealthy", async () => {
    const real = await signer();
    const broken: Signer = { ...real, sign: async () => new Uint8Array(70) };
    const probe = createSignerProbe(broken, new ManualClock());
    try {
      expect(await probe.checkNow()).toMatchObject({ ok: false, error: "signer error: Error" });
    } finally {
      probe.stop();
    }
  });
});
