/** npm run keygen:issuer as a process: prints the path and kid, never the key; exit codes 1 and 2. */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const TSX = join(process.cwd(), "node_modules", ".bin", "tsx");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keygen-process-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("keygen:issuer process", () => {
  it("as a process: prints the path and kid but never the key; exit 1 on an existing file, 2 without a target", async () => {
    const path = join(dir, "cli.json");
    const env = { ...process.env, ISSUER_PRIVATE_JWK_FILE: path };
    const { stdout } = await run(TSX, ["src/cli/keygen-issuer.ts"], { env });
    const jwk = JSON.parse(await readFile(path, "utf8")) as JWK;
    expect(stdout).toContain(path);
    expect(stdout).toContain(String(jwk.kid));
    expect(stdout).not.toContain(String(jwk.d));
    const again = await run(TSX, ["src/cli/keygen-issuer.ts"], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((again as { code: number }).code).toBe(1);
    expect((again as { stderr: string }).stderr).toMatch(/already exists; pass --force/);
    const { ISSUER_PRIVATE_JWK_FILE: _unused, ...noTarget } = env;
    const usage = await run(TSX, ["src/cli/keygen-issuer.ts"], { env: noTarget }).catch((e: { code: number }) => e);
    expect((usage as { code: number }).code).toBe(2);
  });

});
