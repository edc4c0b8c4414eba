/** Proof of possession of an agent key at registration and key rotation: a short JWS (typ agent-pop+jwt) by that key. */
import { compactVerify, importJWK } from "jose";
import { invalidField } from "../errors.js";
import type { AgentPublicJwk } from "../model.js";
import { algorithmForJwk } from "./algorithms.js";
import { parseCompactJws, parseJsonObject } from "./compact-jws.js";
import { jwkThumbprint } from "./thumbprint.js";

export const POSSESSION_PROOF_TYP = "agent-pop+jwt";
export const POSSESSION_PROOF_FIELD = "possession_proof";
export const INVALID_POSSESSION_PROOF = "agent.possession_proof_invalid";

export type PossessionOp = "agent.register" | "agent.rotate_key";

export interface PossessionExpectation {
  readonly op: PossessionOp;
  /** The service audience (the issuer URL). */
  readonly audience: string;
  /** Required to match "org_id" when given (registration). */
  readonly orgId?: string;
  /** Required to match "agent_id" when given (key rotation). */
  readonly agentId?: string;
  readonly nowMs: number;
  /** now - iat may not exceed this (PROOF_MAX_AGE_SECONDS). */
  readonly maxAgeSeconds: number;
  /** iat - now may not exceed this (PROOF_FUTURE_SKEW_SECONDS). */
  readonly futureSkewSeconds: number;
}

export interface PossessionClaims {
  readonly op: PossessionOp;
  readonly aud: string;
  readonly orgId: string | undefined;
  readonly agentId: string | undefined;
  readonly jkt: string;
  readonly iatSeconds: number;
}

/**
 * Checks that `jws` is a possession proof signed by `jwk` for exactly the expected operation, audience, org or
 * agent, bound to the key's thumbprint and fresh.
 * @throws DomainError invalid_argument on field "possession_proof" with a precise description.
 */
export async function verifyPossessionProof(
  jws: string,
  jwk: AgentPublicJwk,
  expected: PossessionExpectation,
): Promise<PossessionClaims> {
  const fail = (description: string) => invalidField(INVALID_POSSESSION_PROOF, POSSESSION_PROOF_FIELD, description);
  const parts = parseCompactJws(jws);
  if (typeof parts === "string") throw fail(parts);
  const { header } = parts;
  if (header.typ !== POSSESSION_PROOF_TYP) throw fail(`typ must be "${POSSESSION_PROOF_TYP}"`);
  const alg = algorithmForJwk(jwk);
  if (alg === undefined) throw fail("unsupported key type");
  if (header.alg !== alg) throw fail(`alg must be ${alg} for this key`);
  try {
    const key = await importJWK(jwk, alg);
    await compactVerify(jws, key, { algorithms: [alg] });
  } catch {
    throw fail("signature does not verify with the submitted public key");
  }
  const payload = parseJsonObject(parts.payloadBytes);
  if (payload === undefined) throw fail("payload is not a JSON object");
  if (payload.op !== expected.op) throw fail(`op must be "${expected.op}"`);
  if (payload.aud !== expected.audience) throw fail(`aud must be "${expected.audience}"`);
  const orgId = optionalString(payload.org_id);
  if (expected.orgId !== undefined && orgId !== expected.orgId) throw fail("org_id does not match the request");
  const agentId = optionalString(payload.agent_id);
  if (expected.agentId !== undefined && agentId !== expected.agentId) {
    throw fail("agent_id does not match the request");
  }
  const jkt = await jwkThumbprint(jwk);
  if (payload.jkt !== jkt) throw fail("jkt is not the RFC 7638 thumbprint of the submitted key");
  const iat = payload.iat;
  if (typeof iat !== "number" || !Number.isSafeInteger(iat)) throw fail("iat must be an integer (seconds)");
  const ageMs = expected.nowMs - iat * 1000;
  if (ageMs > expected.maxAgeSeconds * 1000) throw fail(`stale: iat is more than ${expected.maxAgeSeconds}s old`);
  if (-ageMs > expected.futureSkewSeconds * 1000) {
    throw fail(`iat is more than ${expected.futureSkewSeconds}s in the future`);
  }
  return { op: expected.op, aud: expected.audience, orgId, agentId, jkt, iatSeconds: iat };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
