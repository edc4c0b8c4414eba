/** Validation of an agent's public JWK text: a public Ed25519 (OKP) or P-256 (EC) key on its curve, nothing else. */
import { createPublicKey } from "node:crypto";
import { invalidField } from "../errors.js";
import type { AgentPublicJwk } from "../model.js";
import { decodeBase64urlStrict } from "../tokens/index.js";
import { checkEd25519PublicKey } from "./ed25519-point.js";

/** Stable error code of every refused agent key. */
export const INVALID_AGENT_JWK = "agent.public_jwk_invalid";

/** Largest JWK text accepted (a public key is ~150 bytes; certificates chains in x5c are not wanted). */
const MAX_JWK_TEXT = 4096;

/** Members that carry private or symmetric key material (EC/OKP "d", RSA "p"/"q"/CRT values, oct "k"). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/**
 * Parses and checks an agent public JWK. Returns only the public members (kty, crv, x[, y]); other members
 * ("alg", "use", "kid", "x5c", ...) are ignored, private members are refused.
 * @throws DomainError invalid_argument naming `field` for anything that is not such a key.
 */
export function parseAgentPublicJwk(text: string, field: string): AgentPublicJwk {
  const fail = (description: string) => invalidField(INVALID_AGENT_JWK, field, description);
  if (text.length > MAX_JWK_TEXT) throw fail(`longer than ${MAX_JWK_TEXT} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail("not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail("not a JSON object");
  const jwk = value as Record<string, unknown>;
  for (const member of PRIVATE_MEMBERS) {
    if (member in jwk) throw fail(`private key material ("${member}") must not be sent; send the public key only`);
  }
  const { kty, crv } = jwk;
  if (typeof kty !== "string") throw fail('"kty" missing');
  if (kty === "OKP") {
    if (crv !== "Ed25519") throw fail(`OKP curve ${describe(crv)} not accepted; use Ed25519`);
    const x = coordinate(jwk.x, "x", fail);
    const problem = checkEd25519PublicKey(x.bytes);
    if (problem === "not_on_curve") throw fail("x is not a point on Ed25519");
    if (problem === "small_order") throw fail("x is a small-order Ed25519 point");
    return { kty: "OKP", crv: "Ed25519", x: x.text };
  }
  if (kty === "EC") {
    if (crv !== "P-256") throw fail(`EC curve ${describe(crv)} not accepted; use P-256`);
    const x = coordinate(jwk.x, "x", fail);
    const y = coordinate(jwk.y, "y", fail);
    const publicJwk = { kty: "EC", crv: "P-256", x: x.text, y: y.text } as const;
    try {
      // OpenSSL refuses coordinates that are out of range or not on the curve.
      createPublicKey({ key: publicJwk, format: "jwk" });
    } catch {
      throw fail("(x, y) is not a point on P-256");
    }
    return publicJwk;
  }
  throw fail(`key type ${describe(kty)} not accepted; use OKP Ed25519 or EC P-256`);
}

function coordinate(
  value: unknown,
  name: "x" | "y",
  fail: (description: string) => Error,
): { text: string; bytes: Uint8Array } {
  if (typeof value !== "string") throw fail(`"${name}" missing or not a string`);
  const bytes = decodeBase64urlStrict(value);
  if (bytes === undefined) throw fail(`"${name}" is not unpadded base64url`);
  if (bytes.length !== 32) throw fail(`"${name}" must be 32 bytes, got ${bytes.length}`);
  return { text: value, bytes };
}

function describe(value: unknown): string {
  if (typeof value !== "string") return "(missing)";
  return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}...` : value);
}
