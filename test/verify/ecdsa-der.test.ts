// The raw-to-DER re-encoding of ES256 signatures: byte-identical to OpenSSL's own DER, and checked the same.
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { p256SignatureToDer } from "../../src/domain/tokens/ecdsa-der.js";
import { signatureVerifies, verificationKey } from "../../src/domain/tokens/keys.js";

/** Reads the two INTEGERs of a DER ECDSA-Sig-Value back into raw R || S (test-side, independent of the encoder). */
function derToRaw(der: Buffer): Buffer {
  expect(der[0]).toBe(0x30);
  expect(der[1]).toBe(der.length - 2);
  const parts: Buffer[] = [];
  let at = 2;
  for (let k = 0; k < 2; k++) {
    expect(der[at]).toBe(0x02);
    const length = der[at + 1]!;
    let value = der.subarray(at + 2, at + 2 + length);
    at += 2 + length;
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    parts.push(Buffer.concat([Buffer.alloc(32 - value.length), value]));
  }
  expect(at).toBe(der.length);
  return Buffer.concat(parts);
}

describe("p256SignatureToDer", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });

  it("gives OpenSSL's own DER bytes for 2,000 signatures (leading zeros and high bits included)", () => {
    let padded = 0;
    let shortened = 0;
    for (let i = 0; i < 2000; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign("sha256", data, privateKey);
      const raw = derToRaw(der);
      expect(p256SignatureToDer(raw).equals(der)).toBe(true);
      if (raw[0]! >= 0x80 || raw[32]! >= 0x80) padded++;
      if (raw[0] === 0 || raw[32] === 0) shortened++;
    }
    // Half the integers have their top bit set; about 1 in 128 signatures has a leading zero byte.
    expect(padded).toBeGreaterThan(500);
    expect(shortened).toBeGreaterThan(0);
  });

  it("encodes hand-made edge cases minimally", () => {
    const raw = Buffer.alloc(64);
    raw[31] = 1; // r = 1
    raw.fill(0xff, 32); // s = 2^256 - 1
    expect(p256SignatureToDer(raw).toString("hex")).toBe(`3026020101022100${"ff".repeat(32)}`);
    expect(p256SignatureToDer(Buffer.alloc(64)).toString("hex")).toBe("3006020100020100");
    const low = Buffer.alloc(64);
    low[1] = 0x7f; // r = 0x7f << 240: one leading zero byte dropped, no pad
    low[33] = 0x80; // s = 0x80 << 240: one leading zero byte dropped, a pad added
    expect(p256SignatureToDer(low).toString("hex")).toBe(`3043021f7f${"00".repeat(30)}022000${"80"}${"00".repeat(30)}`);
  });

  it("refuses a signature that is not 64 bytes", () => {
    expect(() => p256SignatureToDer(Buffer.alloc(63))).toThrow(RangeError);
    expect(() => p256SignatureToDer(Buffer.alloc(65))).toThrow(RangeError);
  });

  it("signatureVerifies accepts raw ES256 signatures and refuses altered, zero and short ones", () => {
    const key = verificationKey(publicKey.export({ format: "jwk" }));
    const data = Buffer.from("header.payload");
    const raw = sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" });
    expect(signatureVerifies(key, data, raw)).toBe(true);
    expect(verify("sha256", data, publicKey, p256SignatureToDer(raw))).toBe(true);
    const altered = Buffer.from(raw);
    altered[10]! ^= 1;
    expect(signatureVerifies(key, data, altered)).toBe(false);
    expect(signatureVerifies(key, Buffer.from("header.payloaD"), raw)).toBe(false);
    expect(signatureVerifies(key, data, Buffer.alloc(64))).toBe(false);
    expect(signatureVerifies(key, data, raw.subarray(0, 63))).toBe(false);
  });
});
