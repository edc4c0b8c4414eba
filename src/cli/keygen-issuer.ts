/** `npm run keygen:issuer`: writes a new P-256 issuer private JWK (kid = RFC 7638 thumbprint) to a 0600 file. */
import { generateKeyPairSync } from "node:crypto";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { JWK } from "jose";
import { SecretFileExistsError, writeSecretFile } from "../adapters/signer/secret-file.js";
import { jwkThumbprint } from "../domain/keys/index.js";

const USAGE = "usage: npm run keygen:issuer -- [--out <file>] [--force]   (default file: $ISSUER_PRIVATE_JWK_FILE)";

export interface KeygenResult {
  readonly path: string;
  readonly kid: string;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Generates the key and writes it; returns where and which kid (never the key). */
export async function keygenIssuer(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<KeygenResult> {
  let out: string | undefined;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--force") force = true;
    else if (arg === "--out") {
      out = argv[++i];
      if (out === undefined || out.length === 0) throw new UsageError("--out needs a file path");
    } else if (arg.startsWith("--out=")) out = arg.slice("--out=".length);
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  const target = out ?? env.ISSUER_PRIVATE_JWK_FILE;
  if (target === undefined || target.length === 0) {
    throw new UsageError("no output file: set ISSUER_PRIVATE_JWK_FILE or pass --out <file>");
  }
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const exported = privateKey.export({ format: "jwk" }) as JWK;
  const kid = await jwkThumbprint(exported);
  const jwk = { kty: exported.kty, crv: exported.crv, x: exported.x, y: exported.y, d: exported.d, kid, alg: "ES256", use: "sig" };
  const path = resolve(target);
  await writeSecretFile(path, `${JSON.stringify(jwk, null, 2)}\n`, { force });
  return { path, kid };
}

async function main(): Promise<void> {
  try {
    const { path, kid } = await keygenIssuer(process.argv.slice(2), process.env);
    process.stdout.write(`wrote issuer key ${path} (mode 0600)\nkid ${kid}\n`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`keygen:issuer: ${e.message}\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (e instanceof SecretFileExistsError) {
      process.stderr.write(`keygen:issuer: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`keygen:issuer: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
