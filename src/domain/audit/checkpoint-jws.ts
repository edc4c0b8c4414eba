/** Checkpoint statements: a compact JWS (typ "audit-checkpoint+jwt") over {"seq","hash","iat"} by an issuer key. */
import type { Signer } from "../issuer/signer.js";
import { CHECKPOINT, checkToken, signToken, type CheckpointClaims } from "../tokens/index.js";
import type { TrustedKeys } from "./trusted-keys.js";
import type { CheckpointStatement } from "./verify-export.js";

/** What a checkpoint signature states: "event seq has hash H". */
export type SignedCheckpoint = CheckpointClaims;


/** Signs the head statement with an issuer signer (the checkpointer's signHead). */
export function signCheckpoint(signer: Signer, seq: number, hash: string, nowMs: number): Promise<string> {
  return signToken(CHECKPOINT, signer, { seq, hash, iat: Math.floor(nowMs / 1000) });
}

/**
 * Checks a checkpoint JWS against the trusted keys and returns what it states and which key signed it.
 * Revocation is the caller's to judge (it needs the statement's iat).
 * @throws Error when the signature, typ, alg, kid or payload shape is wrong, or the key is not trusted.
 */
export async function verifyCheckpointJws(jws: string, trusted: TrustedKeys): Promise<CheckpointStatement> {
  const checked = checkToken(CHECKPOINT, jws, (kid) => (kid === undefined ? undefined : trusted.get(kid)?.key));
  if (!checked.ok) throw new Error(`checkpoint ${checked.fault}: ${checked.detail}`);
  const key = trusted.get(checked.kid!)!;
  return key.revokedAtMs === undefined ? { claims: checked.claims, kid: key.kid } : { claims: checked.claims, kid: key.kid, revokedAtMs: key.revokedAtMs };
}
