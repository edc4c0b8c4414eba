/** npm run keygen:issuer: a 0600 P-256 private JWK with kid = thumbprint; refuses to overwrite without --force. */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFileSigner } from "../../src/adapters/signer/file-signer.js";
import { SecretFileExistsError, writeSecretFile } from "../../src/adapters/signer/secret-file.js";
import { keygenIssuer } from "../../src/cli/keygen-issuer.js";
import { jwkThumbprint } from "../../src/domain/keys/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keygen-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("keygen:issuer", () => {
  it("writes a 0600 P-256 private JWK named by ISSUER_PRIVATE_JWK_FILE that the file signer loads", async () => {
    const path = join(dir, "nested", "issuer.jwk.json");
    const result = await keygenIssuer([], { ISSUER_PRIVATE_JWK_FILE: path });
    expect(result.path).toBe(path);
    expect(await mode(path)).toBe(0o600);
    const jwk = JSON.parse(await readFile(path, "utf8")) as JWK;
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig", kid: result.kid });
    expect(typeof jwk.d).toBe("string");
    expect(result.kid).toBe(await jwkThumbprint(jwk));
    const signer = await loadFileSigner(path);
    expect(signer.kid).toBe(result.kid);
  });

  it("refuses to overwrite without --force, overwrites with it (--out wins over the variable)", async () => {
    const path = join(dir, "out.json");
    const first = await keygenIssuer(["--out", path], { ISSUER_PRIVATE_JWK_FILE: join(dir, "ignored.json") });
    const before = await readFile(path, "utf8");
    await expect(keygenIssuer(["--out", path], {})).rejects.toBeInstanceOf(SecretFileExistsError);
    expect(await readFile(path, "utf8")).toBe(before);
    await chmod(path, 0o644);
    const second = await keygenIssuer(["--out", path, "--force"], {});
    expect(second.kid).not.toBe(first.kid);
    expect(await mode(path)).toBe(0o600);
  });

  it("writeSecretFile never loosens an existing file without force", async () => {
    const path = join(dir, "existing.txt");
    await writeFile(path, "keep", { mode: 0o640 });
    await expect(writeSecretFile(path, "new")).rejects.toBeInstanceOf(SecretFileExistsError);
    expect(await readFile(path, "utf8")).toBe("keep");
  });
});
