/** Private JWK files (issuer key, admin-token key): reading and start-time validation without echoing secrets. */
import { readFileSync } from "node:fs";
import type { JWK } from "jose";

export type PrivateKeyCurve = "P-256" | "Ed25519";

/** The curve of a private EC P-256 or OKP Ed25519 JWK, or a description of what is wrong with it. */
export function describePrivateJwk(value: unknown): { curve: PrivateKeyCurve } | { problem: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { problem: "is not a JSON object" };
  const jwk = value as Record<string, unknown>;
  if (typeof jwk["d"] !== "string" || jwk["d"] === "") return { problem: "is not a private key (no \"d\")" };
  if (jwk["kty"] === "EC" && jwk["crv"] === "P-256" && typeof jwk["x"] === "string" && typeof jwk["y"] === "string") {
    return { curve: "P-256" };
  }
  if (jwk["kty"] === "OKP" && jwk["crv"] === "Ed25519" && typeof jwk["x"] === "string") return { curve: "Ed25519" };
  return { problem: "must be an EC P-256 or OKP Ed25519 key" };
}

/** Reads and checks a private JWK file; throws an Error naming the file (never its content) when wrong. */
export function readPrivateJwkFile(path: string, allowed: readonly PrivateKeyCurve[] = ["P-256", "Ed25519"]): JWK {
  const problem = privateJwkFileProblem(path, allowed);
  if (problem !== undefined) throw new Error(`private jwk file ${problem}`);
  return JSON.parse(readFileSync(path, "utf8")) as JWK;
}

/** Undefined when `path` holds a private JWK on one of the allowed curves, else why not. */
export function privateJwkFileProblem(path: string, allowed: readonly PrivateKeyCurve[]): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return e instanceof SyntaxError ? `${path} is not valid JSON` : `${path} cannot be read`;
  }
  const described = describePrivateJwk(parsed);
  if ("problem" in described) return `${path} ${described.problem}`;
  if (!allowed.includes(described.curve)) return `${path} must be a ${allowed.join(" or ")} key`;
  return undefined;
}
