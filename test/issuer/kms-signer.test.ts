/** The KMS signer adapter with the real AWS SDK pointed at the local KMS stand-in (real key, real DER signatures). */
import { createVerify, generateKeyPairSync, sign } from "node:crypto";
import { compactVerify, importJWK } from "jose";
import type { JWK } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { derToJoseSignature } from "../../src/adapters/signer/der-signature.js";
import { createKmsSigner } from "../../src/adapters/signer/kms-signer.js";
import type { ClosableSigner } from "../../src/adapters/signer/kms-signer.js";
import { DomainError } from "../../src/domain/errors.js";
import { ManualClock } from "../../src/domain/clock.js";
import { signJwt } from "../support/jws.js";
import { createSignerProbe } from "../../src/domain/issuer/signer-probe.js";
import { jwkThumbprint } from "../../src/domain/keys/thumbprint.js";
import { encodeDerSignature, startKmsStandin } from "../support/kms-standin.js";
import type { KmsStandin } from "../support/kms-standin.js";

const credentials = { accessKeyId: "AKIDSTANDIN", secretAccessKey: "standin-secret" };
let standin: KmsStandin;
const signers: ClosableSigner[] = [];

async function signer(overrides: { maxAttempts?: number; requestTimeoutMs?: number } = {}): Promise<ClosableSigner> {
  const s = await createKmsSigner({
    keyArn: standin.keyArn,
    region: "eu-west-1",
    endpoint: standin.endpoint,
    credentials,
    ...overrides,
  });
  signers.push(s);
  return s;
}

beforeAll(async () => {
  standin = await startKmsStandin();
});
afterEach(() => {
  standin.fault = undefined;
  standin.signatureShape = "any";
  for (const s of signers.splice(0)) s.close();
});
afterAll(async () => {
  await standin.close();
});

describe("kms signer against the stand-in", () => {
  it("fetches the public key once, kid is its thumbprint, and the SDK signs requests with the given credentials", async () => {
    const before = standin.calls.get("GetPublicKey") ?? 0;
    const s = await signer();
    const expected = standin.publicKey.export({ format: "jwk" }) as JWK;
    expect(s.publicJwk).toEqual({ kty: "EC", crv: "P-256", x: expected.x, y: expected.y });
    expect(s.kid).toBe(await jwkThumbprint(expected));
    expect(s.alg).toBe("ES256");
    await s.sign(new TextEncoder().encode("one"));
    await s.sign(new TextEncoder().encode("two"));
    expect(standin.calls.get("GetPublicKey")).toBe(before + 1);
    expect(standin.authorizations.at(-1)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\//);
  });

  it("a JWT assembled above it verifies with jose against the GetPublicKey JWK", async () => {
    const s = await signer();
    const token = await signJwt(s, { typ: "agent-cred+jwt" }, { sub: "agt_x", iat: 1 });
    const key = await importJWK(s.publicJwk, "ES256");
    const { protectedHeader, payload } = await compactVerify(token, key, { algorithms: ["ES256"] });
    expect(protectedHeader).toEqual({ typ: "agent-cred+jwt", alg: "ES256", kid: s.kid });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: "agt_x", iat: 1 });
  });

  for (const shape of ["short-r", "short-s", "high-bit-r-and-s"] as const) {
    it(`converts a real KMS signature whose shape is ${shape} and it still verifies`, async () => {
      const s = await signer();
      standin.signatureShape = shape;
      const token = await signJwt(s, { typ: "t" }, { n: shape });
      const last = standin.lastSignature!;
      if (shape === "short-r") expect(last.r < 1n << 248n).toBe(true);
      if (shape === "short-s") expect(last.s < 1n << 248n).toBe(true);
      if (shape === "high-bit-r-and-s") expect(last.der.length).toBe(72);
      const raw = Buffer.from(token.split(".")[2]!, "base64url");
      expect(raw.length).toBe(64);
      expect(BigInt(`0x${raw.subarray(0, 32).toString("hex")}`)).toBe(last.r);
      expect(BigInt(`0x${raw.subarray(32).toString("hex")}`)).toBe(last.s);
      await expect(compactVerify(token, await importJWK(s.publicJwk, "ES256"), { algorithms: ["ES256"] })).resolves.toBeDefined();
    });
  }

  it("access denied surfaces as unavailable 'signer unavailable' with the cause, on sign and on start", async () => {
    const s = await signer();
    standin.fault = "AccessDeniedException";
    const error = await s.sign(new Uint8Array([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe("unavailable");
    expect((error as DomainError).message).toBe("signer unavailable");
    expect(((error as DomainError).cause as Error).name).toBe("AccessDeniedException");
    const startError = await signer().catch((e: unknown) => e);
    expect((startError as DomainError).kind).toBe("unavailable");
  });

  it("the signer probe reports a KMS outage and recovers", async () => {
    const probe = createSignerProbe(await signer(), new ManualClock(), 60_000);
    try {
      expect((await probe.checkNow()).ok).toBe(true);
      standin.fault = "AccessDeniedException";
      expect(await probe.checkNow()).toMatchObject({ ok: false, error: "signer unavailable: AccessDeniedException" });
      standin.fault = undefined;
      expect((await probe.checkNow()).ok).toBe(true);
    } finally {
      probe.stop();
    }
  });

  it("throttling is retried up to the attempt cap and then surfaces as unavailable", async () => {
    const s = await signer({ maxAttempts: 2 });
    standin.fault = "ThrottlingException";
    const before = standin.calls.get("Sign") ?? 0;
    const error = (await s.sign(new Uint8Array([1])).catch((e: unknown) => e)) as DomainError;
    expect(error.kind).toBe("unavailable");
    expect((error.cause as Error).name).toBe("ThrottlingException");
    expect((standin.calls.get("Sign") ?? 0) - before).toBe(2);
  });

  it("a KMS that does not answer within the request timeout is unavailable", async () => {
    const s = await signer({ maxAttempts: 1, requestTimeoutMs: 200 });
    standin.fault = "hang";
    const error = (await s.sign(new Uint8Array([1])).catch((e: unknown) => e)) as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.kind).toBe("unavailable");
  });

  it("an unreachable endpoint is unavailable", async () => {
    const error = (await createKmsSigner({
      keyArn: standin.keyArn,
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:1",
      credentials,
      maxAttempts: 1,
    }).catch((e: unknown) => e)) as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.kind).toBe("unavailable");
  });
});

describe("der to jose conversion", () => {
  const hex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

  it("pads a short R and strips the sign byte of a 33-byte S (crafted DER)", () => {
    const r = 0x01n; // one byte
    const s = (1n << 255n) + 5n; // 33 bytes in DER
    const der = encodeDerSignature(r, s);
    expect(der[3]).toBe(1); // r length
    const raw = derToJoseSignature(der);
    expect(Buffer.from(raw).toString("hex")).toBe(`${"00".repeat(31)}01${(s).toString(16)}`);
  });

  it("handles R with several leading zero bytes (30-byte integer)", () => {
    const r = BigInt(`0x${"ab".repeat(30)}`);
    const s = BigInt(`0x${"7f".repeat(32)}`);
    const raw = derToJoseSignature(encodeDerSignature(r, s));
    expect(Buffer.from(raw).toString("hex")).toBe(`0000${"ab".repeat(30)}${"7f".repeat(32)}`);
  });

  it("round-trips signatures made by node crypto in DER form", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    for (let i = 0; i < 20; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign("sha256", data, privateKey);
      const raw = derToJoseSignature(new Uint8Array(der));
      const verifier = createVerify("sha256");
      verifier.update(data);
      expect(verifier.verify({ key: publicKey, dsaEncoding: "ieee-p1363" }, raw)).toBe(true);
    }
  });

  it.each([
    ["not a sequence", "3106020101020101"],
    ["sequence length mismatch", "3007020101020101"],
    ["negative integer", "3006020181020101"],
    ["non-minimal integer", "300702020001020101"],
    ["trailing bytes", "300602010102010100"],
    ["integer too large", `3026022100${"11".repeat(33)}020101`.replace("022100", "0221")],
    ["truncated", "30060201"],
  ])("refuses %s", (_name, der) => {
    expect(() => derToJoseSignature(hex(der))).toThrow(/malformed der ecdsa signature/);
  });
});
