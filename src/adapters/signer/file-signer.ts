/** Signer adapter for a private JWK file (P-256 -> ES256, Ed25519 -> EdDSA); the key never leaves the process. */
import { createPrivateKey, createPublicKey, sign as cryptoSign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { JWK } from "jose";
import { DomainError } from "../../domain/errors.js";
import { publicMembers } from "../../domain/credentials/index.js";
import { jwkThumbprint, type Signer } from "../../domain/keys/index.js";
import { algForJwk, type TokenAlg } from "../../domain/tokens/index.js";

export interface FileSignerOptions {
  /** The environment variable that named the file, quoted in errors (default ISSUER_PRIVATE_JWK_FILE). */
  readonly variable?: string;
}

/**
 * Loads a private JWK file and returns its signer. kid = the file's "kid", else the RFC 7638 thumbprint.
 * @throws DomainError failed_precondition naming the variable and path (never the key) when the file is
 *   unreadable, not JSON, a public-only key, another key type, or inconsistent.
 */
export async function loadFileSigner(path: string, options: FileSignerOptions = {}): Promise<Signer> {
  const variable = options.variable ?? "ISSUER_PRIVATE_JWK_FILE";
  const fail = (problem: string, cause?: unknown) =>
    new DomainError("failed_precondition", "signer.key_file_invalid", `${variable} (${path}): ${problem}`, {
      cause,
    });
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : "unknown error";
    throw fail(`cannot read the key file (${code})`);
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    // The parser's message quotes the file's text: never pass it on.
    throw fail("the key file is not JSON");
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw fail("the key file is not a JWK object");
  return signerFromPrivateJwk(jwk as JWK, (problem) => fail(problem));
}

/**
 * A signer for an in-memory private JWK (EC P-256 or OKP Ed25519 with "d").
 * @param fail builds the error for a refused key (default: a plain Error with the problem).
 */
export async function signerFromPrivateJwk(
  jwk: JWK,
  fail: (problem: string) => Error = (problem) => new Error(`issuer private key: ${problem}`),
): Promise<Signer> {
  const alg = algForJwk(jwk);
  if (alg === undefined) throw fail("the key must be EC P-256 or OKP Ed25519");
  if (typeof jwk.d !== "string") throw fail('the key is public only; a private JWK (with "d") is required');
  if (jwk.alg !== undefined && jwk.alg !== alg) throw fail(`the key's "alg" must be ${alg}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: jwk, format: "jwk" });
  } catch {
    throw fail("the private key is malformed");
  }
  // Derive the public half from "d" and require the file's x/y to agree, so the published key signs.
  const derived = publicMembers(createPublicKey(privateKey).export({ format: "jwk" }) as JWK);
  const declared = publicMembers(jwk);
  if (derived.x !== declared.x || derived.y !== declared.y) throw fail("the public members do not match \"d\"");
  const kid = typeof jwk.kid === "string" && jwk.kid.length > 0 ? jwk.kid : await jwkThumbprint(derived);
  return new KeyObjectSigner(kid, alg, derived, privateKey);
}

/** Signs with a node KeyObject: ES256 as IEEE P1363 (R||S), EdDSA as pure Ed25519. */
class KeyObjectSigner implements Signer {
  constructor(
    readonly kid: string,
    readonly alg: TokenAlg,
    readonly publicJwk: JWK,
    private readonly privateKey: KeyObject,
  ) {}

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const signature =
      this.alg === "ES256"
        ? cryptoSign("sha256", data, { key: this.privateKey, dsaEncoding: "ieee-p1363" })
        : cryptoSign(null, data, this.privateKey);
    return new Uint8Array(signature);
  }
}
