/** The one check of every token kind: envelope, header, key, signature, claims, in that order (no clock checks). */
import { DomainError, invalidField } from "../errors.js";
import { ClaimFault } from "./claims/read.js";
import { parseCompactJws } from "./envelope.js";
import { signatureVerifies, type VerificationKey } from "./keys.js";
import type { TokenFault, TokenKind } from "./kinds.js";

/** The verification key for a token's kid (undefined when the kind carries none); undefined = no such key. */
export type KeyLookup = (kid: string | undefined) => VerificationKey | undefined;

export type TokenCheck<C> =
  | { readonly ok: true; readonly claims: C; readonly kid: string | undefined }
  | { readonly ok: false; readonly fault: TokenFault; readonly detail: string };

function fail(fault: TokenFault, detail: string): { ok: false; fault: TokenFault; detail: string } {
  return { ok: false, fault, detail };
}

/** A header fault: another typ, crit, a member the kind does not carry, a kid that is not a string. */
function headerFault(kind: TokenKind<unknown>, header: Readonly<Record<string, unknown>>): string | undefined {
  if (header.typ !== kind.typ) return `typ must be "${kind.typ}"`;
  if (header.crit !== undefined) return "crit is not supported";
  for (const member of Object.keys(header)) {
    if (member !== "alg" && member !== "typ" && !kind.headerMembers.includes(member)) return `header member ${member} is not allowed`;
  }
  if (header.kid !== undefined && typeof header.kid !== "string") return "kid must be a string";
  return undefined;
}

/**
 * Checks `token` as a `kind`: a compact JWS of JSON objects (envelope), the kind's typ and header members and
 * no crit (header), a key from `lookup` (unknown_key), alg equal to the key's (header), the signature
 * (signature), the kind's claims (claims). Time claims are the caller's to judge.
 */
export function checkToken<C>(kind: TokenKind<C>, token: string, lookup: KeyLookup): TokenCheck<C> {
  const jws = parseCompactJws(token);
  if (typeof jws === "string") return fail("envelope", jws);
  const bad = headerFault(kind, jws.header);
  if (bad !== undefined) return fail("header", bad);
  const kid = jws.header.kid as string | undefined;
  const key = lookup(kid);
  if (key === undefined) return fail("unknown_key", kid === undefined ? "kid required" : "no such key");
  if (jws.header.alg !== key.alg) return fail("header", `alg must be ${key.alg}`);
  if (!signatureVerifies(key, jws.signingInput, jws.signature)) return fail("signature", "signature does not verify");
  try {
    return { ok: true, claims: kind.readClaims(jws.payload), kid };
  } catch (e) {
    if (e instanceof ClaimFault) return fail("claims", e.message);
    throw e;
  }
}

/** The refusals a token fault can be as a decision. */
export type TokenRefusal = "wrong_token_type" | "unknown_issuer_key" | "bad_signature";

/**
 * The kind's answer to a failed check: the decision's reason, or a thrown DomainError (invalid_argument
 * naming `field`, or unauthenticated) with the kind's error code.
 */
export function answerFault(kind: TokenKind<unknown>, failure: { fault: TokenFault; detail: string }, field: string): TokenRefusal {
  const answer = kind.answers[failure.fault];
  if (answer === "invalid_argument") throw invalidField(kind.errorCode, field, failure.detail);
  if (answer === "unauthenticated") throw new DomainError("unauthenticated", kind.errorCode, `invalid ${field}`, { cause: new Error(failure.detail) });
  return answer;
}
