/** File JWK signer: ES256 and EdDSA round trips verified with jose; refused key files name the variable, never the key. */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compactVerify, importJWK } from "jose";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFileSigner } from "../../src/adapters/signer/file-signer.js";
import { DomainError } from "../../src/domain/errors.js";
import { signJwt } from "../support/jws.js";
import { jwkThumbprint } from "../../src/domain/keys/thumbprint.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "file-signer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keyFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content), { mode: 0o600 });
  return path;
}

function privateJwk(kind: "ec" | "ed25519" | "rsa" | "p384"): JWK {
  const pair =
    kind === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : kind === "p384"
        ? generateKeyPairSync("ec", { namedCurve: "P-384" })
        : kind === "rsa"
          ? generateKeyPairSync("rsa", { modulusLength: 2048 })
          : generateKeyPairSync("ed25519");
  return pair.privateKey.export({ format: "jwk" }) as JWK;
}

async function refusal(path: string): Promise<DomainError> {
  const error = await loadFileSigner(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  const domainError = error as DomainError;
  expect(domainError.kind).toBe("failed_precondition");
  expect(domainError.message).toContain(`ISSUER_PRIVATE_JWK_FILE (${path})`);
  return domainError;
}

describe("loadFileSigner", () => {
  for (const [kind, alg] of [
    ["ec", "ES256"],
    ["ed25519", "EdDSA"],
  ] as const) {
    it(`signs ${alg} JWTs that jose verifies with the public JWK; kid defaults to the thumbprint`, async () => {
      const jwk = privateJwk(kind);
      const signer = await loadFileSigner(await keyFile(`${kind}.json`, jwk));
      expect(signer.alg).toBe(alg);
      expect(signer.kid).toBe(await jwkThumbprint(jwk));
      expect(signer.publicJwk.d).toBeUndefined();
      const token = await signJwt(signer, { typ: "agent-cred+jwt" }, { sub: "agt_1" });
      const { protectedHeader, payload } = await compactVerify(token, await importJWK(signer.publicJwk, alg), {
        algorithms: [alg],
      });
      expect(protectedHeader).toEqual({ typ: "agent-cred+jwt", alg, kid: signer.kid });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: "agt_1" });
      expect((await signer.sign(new Uint8Array([1, 2, 3]))).length).toBe(64);
    });
  }

  it("keeps the kid the file names", async () => {
    const signer = await loadFileSigner(await keyFile("kid.json", { ...privateJwk("ec"), kid: "issuer-2026-01" }));
    expect(signer.kid).toBe("issuer-2026-01");
  });

  it("refuses an unreadable file", async () => {
    const error = await refusal(join(dir, "missing.json"));
    expect(error.message).toMatch(/cannot read the key file \(ENOENT\)/);
  });

  it("refuses a public-only key", async () => {
    const { d: _d, ...pub } = privateJwk("ec");
    expect((await refusal(await keyFile("public.json", pub))).message).toMatch(/public only/);
  });

  it("refuses a file that is not JSON without quoting it", async () => {
    const secretLooking = '{"kty":"EC","d":"SECRETSECRETSECRET"';
    const error = await refusal(await keyFile("broken.json", secretLooking));
    expect(error.message).toMatch(/not JSON/);
    expect(error.message).not.toContain("SECRET");
    expect(String(error.cause ?? "")).not.toContain("SECRET");
  });

  it("refuses other key types, a conflicting alg and x/y that do not belong to d, never printing d", async () => {
    for (const [name, jwk, pattern] of [
      ["rsa.json", privateJwk("rsa"), /EC P-256 or OKP Ed25519/],
      ["p384.json", privateJwk("p384"), /EC P-256 or OKP Ed25519/],
      ["alg.json", { ...privateJwk("ec"), alg: "ES384" }, /"alg" must be ES256/],
      ["mixed.json", { ...privateJwk("ec"), x: privateJwk("ec").x, y: privateJwk("ec").y }, /do not match|malformed/],
    ] as const) {
      const error = await refusal(await keyFile(name, jwk));
      expect(error.message).toMatch(pattern);
      expect(error.message).not.toContain(String(jwk.d));
    }
  });

  it("names another variable when asked (the admin-token key)", async () => {
    const path = join(dir, "none.json");
    const error = await loadFileSigner(path, { variable: "ADMIN_JWT_PRIVATE_JWK_FILE" }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`ADMIN_JWT_PRIVATE_JWK_FILE (${path})`);
  });
});
