/** Checkpoint statements: a compact JWS (typ "audit-checkpoint+jwt") over {"seq","hash","iat"} by an issuer key. */
import type { Signer } from "../issuer/signer.js";
import { CHECKPOINT, checkToken, signToken, verificationKey, type CheckpointClaims, type VerificationKey } from "../tokens/index.js";

/** What a checkpoint signature states: "event seq has hash H". */
export type SignedCheckpoint = CheckpointClaims;

/** Signs the head statement with an issuer signer (the checkpointer's signHead). */
export function signCheckpoint(signer: Signer, seq: number, hash: string, nowMs: number): Promise<string> {
  return signToken(CHECKPOINT, signer, { seq, hash, iat: Math.floor(nowMs / 1000) });
}

/**
 * Checks a checkpoint JWS against a JWKS (JSON text) and returns what it states.
 * @throws Error when the JWKS, the signature, typ, alg, kid or payload shape is wrong.
 */
export async function verifyCheckpointJws(jws: string, jwksJson: string): Promise<SignedCheckpoint> {
  const jwks = JSON.parse(jwksJson) as { keys?: unknown };
  const keys = new Map<string, VerificationKey>();
  for (const jwk of Array.isArray(jwks.keys) ? (jwks.keys as Record<string, unknown>[]) : []) {
    if (typeof jwk.kid !== "string") continue;
    try {
      keys.set(jwk.kid, verificationKey(jwk));
    } catch {
      // A key type that cannot sign checkpoints is simply not a candidate.
    }
  }
  const checked = checkToken(CHECKPOINT, jws, (kid) => (kid === undefined ? undefined : keys.get(kid)));
  if (!checked.ok) throw new Error(`checkpoint ${checked.fault}: ${checked.detail}`);
  return checked.claims;
}
