/** Proof of possession of an agent key at registration and key rotation: a short JWS (typ agent-pop+jwt) by that key. */
import { invalidField } from "../errors.js";
import type { AgentPublicJwk } from "../model.js";
import { checkToken, POSSESSION, verificationKey } from "../tokens/index.js";
import { jwkThumbprint } from "./thumbprint.js";

export const POSSESSION_PROOF_FIELD = "possession_proof";

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

export interface PossessionCheck {
  readonly op: PossessionOp;
  readonly aud: string;
  readonly orgId: string | undefined;
  readonly agentId: string | undefined;
  readonly jkt: string;
  readonly iatSeconds: number;
}

/**
 * Checks that `jws` is a possession proof signed by `jwk` for exactly the expected operation, audience, org or
 * agent, bound to the key's thumbprint and fresh. Every fault of the token table is INVALID_ARGUMENT here.
 * @throws DomainError invalid_argument on field "possession_proof" with a precise description.
 */
export async function verifyPossessionProof(jws: string, jwk: AgentPublicJwk, expected: PossessionExpectation): Promise<PossessionCheck> {
  const fail = (description: string) => invalidField(POSSESSION.errorCode, POSSESSION_PROOF_FIELD, description);
  let key;
  try {
    key = verificationKey(jwk);
  } catch {
    throw fail("unsupported key type");
  }
  const checked = checkToken(POSSESSION, jws, () => key);
  // The POSSESSION row answers every fault with INVALID_ARGUMENT on the field.
  if (!checked.ok) throw fail(checked.fault === "signature" ? "signature does not verify with the submitted public key" : checked.detail);
  const c = checked.claims;
  if (c.op !== expected.op) throw fail(`op must be "${expected.op}"`);
  if (c.aud !== expected.audience) throw fail(`aud must be "${expected.audience}"`);
  if (expected.orgId !== undefined && c.org_id !== expected.orgId) throw fail("org_id does not match the request");
  if (expected.agentId !== undefined && c.agent_id !== expected.agentId) throw fail("agent_id does not match the request");
  if (c.jkt !== (await jwkThumbprint(jwk))) throw fail("jkt is not the RFC 7638 thumbprint of the submitted key");
  const ageMs = expected.nowMs - c.iat * 1000;
  if (ageMs > expected.maxAgeSeconds * 1000) throw fail(`stale: iat is more than ${expected.maxAgeSeconds}s old`);
  if (-ageMs > expected.futureSkewSeconds * 1000) throw fail(`iat is more than ${expected.futureSkewSeconds}s in the future`);
  return { op: expected.op, aud: expected.audience, orgId: c.org_id, agentId: c.agent_id, jkt: c.jkt, iatSeconds: c.iat };
}
