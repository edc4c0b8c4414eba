/** Agent public JWK validation: every refused kind names the field; thumbprints and the alg allow-list. */
import { generateKeyPairSync } from "node:crypto";
import type { JWK } from "jose";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import { jwkThumbprint } from "../../src/domain/keys/index.js";
import { parseAgentPublicJwk } from "../../src/domain/agents/index.js";
import { algForJwk } from "../../src/domain/tokens/index.js";

const FIELD = "public_jwk";

function exportJwk(type: "ec" | "ed25519" | "x25519" | "rsa", namedCurve?: string): { pub: JWK; priv: JWK } {
  const pair =
    type === "ec"
      ? generateKeyPairSync("ec", { namedCurve: namedCurve ?? "P-256" })
      : type === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : type === "ed25519"
          ? generateKeyPairSync("ed25519")
          : generateKeyPairSync("x25519");
  return {
    pub: pair.publicKey.export({ format: "jwk" }) as JWK,
    priv: pair.privateKey.export({ format: "jwk" }) as JWK,
  };
}

function refusal(text: string): DomainError {
  try {
    parseAgentPublicJwk(text, FIELD);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    const error = e as DomainError;
    expect(error.kind).toBe("invalid_argument");
    expect(error.code).toBe("agent.public_jwk_invalid");
    expect(error.fieldViolations.map((v) => v.field)).toEqual([FIELD]);
    return error;
  }
  throw new Error(`accepted: ${text}`);
}

describe("parseAgentPublicJwk accepts", () => {
  it("a P-256 public key and returns only its public members", () => {
    const { pub } = exportJwk("ec");
    const parsed = parseAgentPublicJwk(JSON.stringify({ ...pub, alg: "ES256", use: "sig", kid: "k1", x5c: ["AAAA"] }), FIELD);
    expect(parsed).toEqual({ kty: "EC", crv: "P-256", x: pub.x, y: pub.y });
  });

  it("an Ed25519 public key", () => {
    const { pub } = exportJwk("ed25519");
    expect(parseAgentPublicJwk(JSON.stringify(pub), FIELD)).toEqual({ kty: "OKP", crv: "Ed25519", x: pub.x });
  });

  it("the RFC 8032 test vector 1 public key", () => {
    const x = Buffer.from("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "hex").toString("base64url");
    expect(parseAgentPublicJwk(JSON.stringify({ kty: "OKP", crv: "Ed25519", x }), FIELD).x).toBe(x);
  });
});

describe("parseAgentPublicJwk refuses", () => {
  const ec = exportJwk("ec");
  const ed = exportJwk("ed25519");

  it.each([
    ["not JSON", "{kty:", /not JSON/],
    ["a JSON array", "[1]", /not a JSON object/],
    ["a JSON string", '"EC"', /not a JSON object/],
    ["null", "null", /not a JSON object/],
    ["no kty", "{}", /"kty" missing/],
  ])("%s", (_name, text, message) => {
    expect(refusal(text).message).toMatch(message);
  });

  it("a private EC key (d present)", () => {
    expect(refusal(JSON.stringify(ec.priv)).message).toMatch(/private key material \("d"\)/);
  });

  it("a private Ed25519 key", () => {
    expect(refusal(JSON.stringify(ed.priv)).message).toMatch(/"d"/);
  });

  it.each(["p", "q", "k", "dp", "dq", "qi", "oth"])('a key carrying the private member "%s"', (member) => {
    expect(refusal(JSON.stringify({ ...ec.pub, [member]: "AAAA" })).message).toMatch(new RegExp(`"${member}"`));
  });

  it("an RSA key", () => {
    expect(refusal(JSON.stringify(exportJwk("rsa").pub)).message).toMatch(/key type "RSA" not accepted/);
  });

  it("a symmetric (oct) key", () => {
    expect(refusal(JSON.stringify({ kty: "oct", k: "c2VjcmV0" })).message).toMatch(/"k"/);
  });

  it("P-384", () => {
    expect(refusal(JSON.stringify(exportJwk("ec", "P-384").pub)).message).toMatch(/EC curve "P-384" not accepted/);
  });

  it("secp256k1", () => {
    expect(refusal(JSON.stringify(exportJwk("ec", "secp256k1").pub)).message).toMatch(/"secp256k1" not accepted/);
  });

  it("X25519 (an encryption key)", () => {
    expect(refusal(JSON.stringify(exportJwk("x25519").pub)).message).toMatch(/OKP curve "X25519" not accepted/);
  });

  it("an EC key with an OKP curve name and vice versa", () => {
    expect(refusal(JSON.stringify({ ...ec.pub, crv: "Ed25519" })).message).toMatch(/EC curve/);
    expect(refusal(JSON.stringify({ ...ed.pub, crv: "P-256" })).message).toMatch(/OKP curve/);
  });

  it("missing coordinates", () => {
    expect(refusal(JSON.stringify({ kty: "EC", crv: "P-256", x: ec.pub.x })).message).toMatch(/"y" missing/);
    expect(refusal(JSON.stringify({ kty: "OKP", crv: "Ed25519" })).message).toMatch(/"x" missing/);
    expect(refusal(JSON.stringify({ kty: "OKP", crv: "Ed25519", x: 5 })).message).toMatch(/"x" missing or not a string/);
  });

  it("bad base64url: padding, standard alphabet, stray characters, non-canonical trailing bits", () => {
    const raw = Buffer.from(ed.pub.x!, "base64url");
    expect(refusal(JSON.stringify({ ...ed.pub, x: `${ed.pub.x}=` })).message).toMatch(/not unpadded base64url/);
    expect(refusal(JSON.stringify({ ...ed.pub, x: raw.toString("base64").replace(/=+$/, "").replace(/[-_]/g, "+") + "+" })).message).toMatch(/base64url|32 bytes/);
    expect(refusal(JSON.stringify({ ...ed.pub, x: `${ed.pub.x!.slice(0, 20)} ${ed.pub.x!.slice(21)}` })).message).toMatch(/base64url/);
    // 43 chars carry 258 bits: the last char's low 2 bits must be zero.
    const last = ed.pub.x!.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const tweaked = ed.pub.x!.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
    expect(refusal(JSON.stringify({ ...ed.pub, x: tweaked })).message).toMatch(/not unpadded base64url/);
  });

  it("wrong coordinate lengths", () => {
    const short = Buffer.alloc(31, 1).toString("base64url");
    const long = Buffer.alloc(33, 1).toString("base64url");
    expect(refusal(JSON.stringify({ ...ed.pub, x: short })).message).toMatch(/must be 32 bytes, got 31/);
    expect(refusal(JSON.stringify({ ...ec.pub, y: long })).message).toMatch(/"y" must be 32 bytes, got 33/);
    expect(refusal(JSON.stringify({ ...ec.pub, x: "" })).message).toMatch(/got 0/);
  });

  it("a P-256 point not on the curve", () => {
    const y = Buffer.from(ec.pub.y!, "base64url");
    y[31] = y[31]! ^ 1;
    expect(refusal(JSON.stringify({ ...ec.pub, y: y.toString("base64url") })).message).toMatch(/not a point on P-256/);
  });

  it("P-256 coordinates outside the field", () => {
    const ff = Buffer.alloc(32, 0xff).toString("base64url");
    expect(refusal(JSON.stringify({ ...ec.pub, x: ff, y: ff })).message).toMatch(/not a point on P-256/);
  });

  it("an Ed25519 encoding that is not a curve point", () => {
    // y = 2: (y^2 - 1) / (d y^2 + 1) is not a square mod p, so no x exists.
    const x = Buffer.alloc(32);
    x[0] = 2;
    expect(refusal(JSON.stringify({ kty: "OKP", crv: "Ed25519", x: x.toString("base64url") })).message).toMatch(
      /not a point on Ed25519/,
    );
  });

  it("a non-canonical Ed25519 encoding (y >= p)", () => {
    const x = Buffer.alloc(32, 0xff);
    x[31] = 0x7f;
    expect(refusal(JSON.stringify({ kty: "OKP", crv: "Ed25519", x: x.toString("base64url") })).message).toMatch(
      /not a point on Ed25519/,
    );
  });

  it("small-order Ed25519 points (identity, order 2, order 4)", () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1; // (0, 1)
    const order2 = Buffer.from("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "hex"); // (0, -1)
    const order4 = Buffer.alloc(32); // y = 0, x = sqrt(-1)
    for (const point of [identity, order2, order4]) {
      expect(refusal(JSON.stringify({ kty: "OKP", crv: "Ed25519", x: point.toString("base64url") })).message).toMatch(
        /small-order/,
      );
    }
  });

  it("an oversized text", () => {
    expect(refusal(JSON.stringify({ ...ec.pub, pad: "a".repeat(5000) })).message).toMatch(/longer than/);
  });
});

describe("thumbprints and algorithms", () => {
  it("computes the RFC 7638 section 3.1 example thumbprint", async () => {
    const jwk: JWK = {
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      e: "AQAB",
      alg: "RS256",
      kid: "2011-04-29",
    };
    expect(await jwkThumbprint(jwk)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });

  it("ignores non-required members and matches for public and private halves", async () => {
    const { pub, priv } = exportJwk("ec");
    expect(await jwkThumbprint({ ...pub, kid: "x", alg: "ES256" })).toBe(await jwkThumbprint(priv));
  });

  it("derives the one algorithm from the key type only", () => {
    expect(algForJwk({ kty: "EC", crv: "P-256" })).toBe("ES256");
    expect(algForJwk({ kty: "OKP", crv: "Ed25519" })).toBe("EdDSA");
    expect(algForJwk({ kty: "EC", crv: "P-384" })).toBeUndefined();
    expect(algForJwk({ kty: "RSA" })).toBeUndefined();
  });
});
