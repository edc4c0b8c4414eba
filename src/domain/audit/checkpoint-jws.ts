/** Checkpoint statements: a compact JWS (typ "audit-checkpoint+jwt") over {"seq","hash","iat"} by an issuer key. */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { signJwt } from "../issuer/jws.js";
import type { Signer } from "../keys/index.js";

export const CHECKPOINT_TYP = "audit-checkpoint+jwt";

/** What a checkpoint signature states: "event seq has hash H". */
export interface SignedCheckpoint {
  readonly seq: number;
  readonly hash: string;
  /** Seconds since the epoch when it was signed. */
  readonly iat: number;
}

/** Signs the head statement with an issuer signer (the checkpointer's signHead). */
export function signCheckpoint(signer: Signer, seq: number, hash: string, nowMs: number): Promise<string> {
  return signJwt(signer, { typ: CHECKPOINT_TYP }, { seq, hash, iat: Math.floor(nowMs / 1000) });
}

/**
 * Checks a checkpoint JWS against a JWKS (JSON text) and returns what it states.
 * @throws Error when the signature, typ, alg or payload shape is wrong.
 */
export async function verifyCheckpointJws(jws: string, jwksJson: string): Promise<SignedCheckpoint> {
  const jwks = JSON.parse(jwksJson) as JSONWebKeySet;
  const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks), {
    typ: CHECKPOINT_TYP,
    algorithms: ["ES256", "EdDSA"],
  });
  const { seq, hash, iat } = payload as Record<string, unknown>;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || typeof hash !== "string" || typeof iat !== "number") {
    throw new Error("checkpoint payload must be {seq, hash, iat}");
  }
  return { seq, hash, iat };
}
