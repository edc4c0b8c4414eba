/** Signer port contract: one suite run against the file JWK signer (ES256, EdDSA) and the KMS signer (stand-in). */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { webcrypto } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compactVerify, createLocalJWKSet, flattenedVerify, importJWK } from "jose";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFileSigner, signerFromPrivateJwk } from "../../src/adapters/signer/file-signer.js";
import { createKmsSigner } from "../../src/adapters/signer/kms-signer.js";
import { buildJwks } from "../../src/domain/issuer/jwks.js";
import { signJwt } from "../support/jws.js";
import type { Signer, SignerAlgorithm } from "../../src/domain/issuer/signer.js";
import { encodeBase64url } from "../../src/domain/tokens/index.js";
import { algorithmForJwk } from "../../src/domain/keys/algorithms.js";
import { jwkThumbprint } from "../../src/domain/keys/thumbprint.js";
import { startKmsStandin } from "../support/kms-standin.js";
import type { KmsStandin } from "../support/kms-standin.js";

interface SignerTarget {
  readonly name: string;
  readonly alg: SignerAlgorithm;
  /** A signer over the target's one key; every call opens a new adapter instance on the same key. */
  open(): Promise<Signer>;
  /** The kid the adapter promises for that key: the RFC 7638 thumbprint unless the key names one. */
  expectedKid(signer: Signer): Promise<string>;
}

const PUBLIC_MEMBERS: Record<SignerAlgorithm, string[]> = { ES256: ["crv", "kty", "x", "y"], EdDSA: ["crv", "kty", "x"] };
const NAMED_KID = "issuer-2024-named";
const KMS_CREDENTIALS = { accessKeyId: "AKIDSTANDIN", secretAccessKey: "standin-secret" };

let dir: string;
let standin: KmsStandin;
const closers: (() => void)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signer-contract-"));
  standin = await startKmsStandin();
});
afterAll(async () => {
  for (const close of closers.splice(0)) close();
  await standin.close();
  await rm(dir, { recursive: true, force: true });
});

function privateJwk(kind: "ec" | "ed25519"): JWK {
  const pair = kind === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  return pair.privateKey.export({ format: "jwk" }) as JWK;
}

/** A target reading a private JWK file through loadFileSigner (kid = thumbprint: the file names none). */
function fileTarget(name: string, kind: "ec" | "ed25519", alg: SignerAlgorithm): SignerTarget {
  const jwk = privateJwk(kind);
  let path: string | undefined;
  return {
    name,
    alg,
    async open() {
      if (path === undefined) {
        path = join(dir, `${kind}.jwk.json`);
        await writeFile(path, JSON.stringify(jwk), { mode: 0o600 });
      }
      return loadFileSigner(path);
    },
    expectedKid: (signer) => jwkThumbprint(signer.publicJwk),
  };
}

const targets: SignerTarget[] = [
  fileTarget("file signer, P-256 (ES256)", "ec", "ES256"),
  fileTarget("file signer, Ed25519 (EdDSA)", "ed25519", "EdDSA"),
  (() => {
    const jwk = { ...privateJwk("ec"), kid: NAMED_KID };
    return {
      name: "in-memory JWK signer, P-256 with a named kid (ES256)",
      alg: "ES256" as const,
      open: () => signerFromPrivateJwk(jwk),
      expectedKid: async () => NAMED_KID,
    };
  })(),
  {
    name: "AWS KMS signer (real SDK, local stand-in)",
    alg: "ES256",
    async open() {
      const signer = await createKmsSigner({
        keyArn: standin.keyArn,
        region: "eu-west-1",
        endpoint: standin.endpoint,
        credentials: KMS_CREDENTIALS,
      });
      closers.push(() => signer.close());
      return signer;
    },
    // createKmsSigner: "kid = its RFC 7638 thumbprint" (of the GetPublicKey key).
    expectedKid: (signer) => jwkThumbprint(signer.publicJwk),
  },
];

/** Verifies a raw JOSE signature over `data` with the key jose imports from `publicJwk` (WebCrypto: raw R||S for ECDSA). */
async function verifies(publicJwk: JWK, alg: SignerAlgorithm, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  const key = await importJWK(publicJwk, alg);
  if (key instanceof Uint8Array) throw new Error("expected an asymmetric public key");
  const algorithm = alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
  return webcrypto.subtle.verify(algorithm, key, signature, data);
}

/** The JWS signing input for an arbitrary payload, signed by `signer`, checked by jose flattenedVerify. */
async function joseVerifiesPayload(signer: Signer, payload: Uint8Array): Promise<Uint8Array> {
  const protectedHeader = encodeBase64url(new TextEncoder().encode(JSON.stringify({ alg: signer.alg, kid: signer.kid })));
  const encodedPayload = encodeBase64url(payload);
  const signature = await signer.sign(new TextEncoder().encode(`${protectedHeader}.${encodedPayload}`));
  const result = await flattenedVerify(
    { protected: protectedHeader, payload: encodedPayload, signature: encodeBase64url(signature) },
    await importJWK(signer.publicJwk, signer.alg),
    { algorithms: [signer.alg] },
  );
  return result.payload;
}

const INPUTS: readonly { readonly label: string; readonly data: Uint8Array }[] = [
  { label: "empty input", data: new Uint8Array(0) },
  { label: "a 1-byte input", data: new Uint8Array([0x2a]) },
  { label: "a 1 MiB input", data: new Uint8Array(randomBytes(1024 * 1024)) },
];

describe.each(targets)("Signer contract: $name", (target) => {
  let signer: Signer;
  beforeAll(async () => {
    signer = await target.open();
  });

  it("kid is the one the adapter promises (RFC 7638 thumbprint unless named), non-empty and stable across instances", async () => {
    expect(signer.kid).not.toBe("");
    expect(signer.kid).toBe(await target.expectedKid(signer));
    const again = await target.open();
    expect(again.kid).toBe(signer.kid);
    expect(again.publicJwk).toEqual(signer.publicJwk);
  });

  it("publicJwk carries the public members only", () => {
    expect(Object.keys(signer.publicJwk).sort()).toEqual(PUBLIC_MEMBERS[target.alg]);
    for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(signer.publicJwk).not.toHaveProperty(member);
    for (const member of PUBLIC_MEMBERS[target.alg]) expect(typeof signer.publicJwk[member as keyof JWK]).toBe("string");
  });

  it("alg matches the key type", () => {
    expect(signer.alg).toBe(target.alg);
    expect(algorithmForJwk(signer.publicJwk)).toBe(signer.alg);
  });

  it.each(INPUTS)("sign() over $label returns a 64-byte JOSE signature that verifies against publicJwk", async ({ data }) => {
    const signature = await signer.sign(data);
    expect(signature).toBeInstanceOf(Uint8Array);
    expect(signature.length).toBe(64);
    expect(await verifies(signer.publicJwk, signer.alg, signature, data)).toBe(true);
  });

  it.each(INPUTS)("jose flattenedVerify accepts a JWS whose payload is $label", async ({ data }) => {
    expect(Buffer.from(await joseVerifiesPayload(signer, data)).equals(Buffer.from(data))).toBe(true);
  });

  it("two signatures over the same input both verify", async () => {
    const data = new TextEncoder().encode("same input, twice");
    const first = await signer.sign(data);
    const second = await signer.sign(data);
    expect(await verifies(signer.publicJwk, signer.alg, first, data)).toBe(true);
    expect(await verifies(signer.publicJwk, signer.alg, second, data)).toBe(true);
  });

  it("a signature does not verify over other bytes, nor once one bit is flipped", async () => {
    const data = new TextEncoder().encode("signed bytes");
    const signature = await signer.sign(data);
    expect(await verifies(signer.publicJwk, signer.alg, signature, new TextEncoder().encode("signed byteS"))).toBe(false);
    expect(await verifies(signer.publicJwk, signer.alg, signature, new Uint8Array(0))).toBe(false);
    const tampered = new Uint8Array(signature);
    tampered[10] = tampered[10]! ^ 0x01;
    expect(await verifies(signer.publicJwk, signer.alg, tampered, data)).toBe(false);
  });

  it("a signature from another key of the same type does not verify against this publicJwk", async () => {
    const other = await signerFromPrivateJwk(privateJwk(target.alg === "ES256" ? "ec" : "ed25519"));
    const data = new TextEncoder().encode("whose key?");
    expect(await verifies(signer.publicJwk, signer.alg, await other.sign(data), data)).toBe(false);
  });

  it("a compact JWS from signJwt verifies with jose compactVerify against the JWKS from buildJwks", async () => {
    const jwks = buildJwks([
      { kid: signer.kid, alg: signer.alg, publicJwk: signer.publicJwk, status: "active", createdAtMs: 1_700_000_000_000 },
    ]);
    const token = await signJwt(signer, { typ: "agent-cred+jwt" }, { sub: "agt_contract", iat: 1_700_000_000 });
    const { protectedHeader, payload } = await compactVerify(token, createLocalJWKSet({ keys: [...jwks.keys] }), {
      algorithms: [signer.alg],
    });
    expect(protectedHeader).toEqual({ typ: "agent-cred+jwt", alg: signer.alg, kid: signer.kid });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: "agt_contract", iat: 1_700_000_000 });
    const [header, , signature] = token.split(".");
    const forged = `${header}.${encodeBase64url(new TextEncoder().encode('{"sub":"agt_other"}'))}.${signature}`;
    await expect(compactVerify(forged, createLocalJWKSet({ keys: [...jwks.keys] }), { algorithms: [signer.alg] })).rejects.toThrow(
      "signature verification failed",
    );
  });
});
