/**
 * The table of token kinds: every JWS the service signs or checks is a row (typ, who signs, where the
 * verification key comes from, the claim reader, how each fault is answered). docs/proof-format.md documents it.
 */
import type { AdminClaims, CheckpointClaims, CredentialClaims, SessionClaims } from "./claims/service-signed.js";
import { readAdminClaims, readCheckpointClaims, readCredentialClaims, readSessionClaims } from "./claims/service-signed.js";
import type { HandshakeClaims, PossessionClaims, ProofClaims } from "./claims/agent-signed.js";
import { readHandshakeClaims, readPossessionClaims, readProofClaims } from "./claims/agent-signed.js";

/** The classes of fault a token check finds, in the order they are checked. */
export type TokenFault = "envelope" | "header" | "unknown_key" | "signature" | "claims";

/** What a caller is answered for a fault: a decision's reason, or an error of the call itself. */
export type FaultAnswer = "invalid_argument" | "unauthenticated" | "wrong_token_type" | "unknown_issuer_key" | "bad_signature";

export type FaultAnswers = Readonly<Record<TokenFault, FaultAnswer>>;

/**
 * Tokens a Verify decision is about (credential, session, proof, handshake): a token that is not a compact
 * JWS of JSON objects, or whose signed claims are missing or mistyped, was built wrongly by the caller
 * (INVALID_ARGUMENT naming the field); a well-formed token that is not what it must be is a decision.
 */
export const DECISION_ANSWERS: FaultAnswers = {
  envelope: "invalid_argument",
  header: "wrong_token_type",
  unknown_key: "unknown_issuer_key",
  signature: "bad_signature",
  claims: "invalid_argument",
};

/** Possession proofs are inputs of RegisterAgent / RotateAgentKey: every fault is INVALID_ARGUMENT on the field. */
const INPUT_ANSWERS: FaultAnswers = {
  envelope: "invalid_argument",
  header: "invalid_argument",
  unknown_key: "invalid_argument",
  signature: "invalid_argument",
  claims: "invalid_argument",
};

/** Admin JWTs authenticate a call: every fault is UNAUTHENTICATED. */
const AUTH_ANSWERS: FaultAnswers = {
  envelope: "unauthenticated",
  header: "unauthenticated",
  unknown_key: "unauthenticated",
  signature: "unauthenticated",
  claims: "unauthenticated",
};

export interface TokenKind<C> {
  readonly typ: string;
  readonly signedBy: "issuer key" | "session key" | "agent key" | "admin-token key";
  /** Where a verifier takes the key from (never from the token). */
  readonly keyFrom: string;
  /** Header members beyond alg and typ: "kid" for the service's keys; none for agent-signed kinds. */
  readonly headerMembers: readonly string[];
  readonly readClaims: (payload: Readonly<Record<string, unknown>>) => C;
  readonly answers: FaultAnswers;
  /** The stable error code of an INVALID_ARGUMENT answer. */
  readonly errorCode: string;
}

export const CREDENTIAL: TokenKind<CredentialClaims> = {
  typ: "agent-cred+jwt",
  signedBy: "issuer key",
  keyFrom: "the published issuer key named by kid",
  headerMembers: ["kid"],
  readClaims: readCredentialClaims,
  answers: DECISION_ANSWERS,
  errorCode: "credential.malformed",
};

export const SESSION: TokenKind<SessionClaims> = {
  typ: "agent-session+jwt",
  signedBy: "session key",
  keyFrom: "the service's session key named by kid",
  headerMembers: ["kid"],
  readClaims: readSessionClaims,
  answers: DECISION_ANSWERS,
  errorCode: "verify.malformed_token",
};

export const PROOF: TokenKind<ProofClaims> = {
  typ: "agent-proof+jwt",
  signedBy: "agent key",
  keyFrom: "the agent's current registered key",
  headerMembers: [],
  readClaims: readProofClaims,
  answers: DECISION_ANSWERS,
  errorCode: "verify.malformed_proof",
};

export const HANDSHAKE: TokenKind<HandshakeClaims> = {
  typ: "agent-handshake+jwt",
  signedBy: "agent key",
  keyFrom: "the agent's current registered key",
  headerMembers: [],
  readClaims: readHandshakeClaims,
  answers: DECISION_ANSWERS,
  errorCode: "verify.malformed_handshake",
};

export const POSSESSION: TokenKind<PossessionClaims> = {
  typ: "agent-pop+jwt",
  signedBy: "agent key",
  keyFrom: "the public key submitted with it",
  headerMembers: [],
  readClaims: readPossessionClaims,
  answers: INPUT_ANSWERS,
  errorCode: "agent.possession_proof_invalid",
};

export const ADMIN: TokenKind<AdminClaims> = {
  typ: "admin+jwt",
  signedBy: "admin-token key",
  keyFrom: "the service's admin-token key named by kid",
  headerMembers: ["kid"],
  readClaims: readAdminClaims,
  answers: AUTH_ANSWERS,
  errorCode: "admin.token_invalid",
};

/** Checked offline by audit:verify against the operator's JWKS: every fault is a broken link of the export. */
export const CHECKPOINT: TokenKind<CheckpointClaims> = {
  typ: "audit-checkpoint+jwt",
  signedBy: "issuer key",
  keyFrom: "the issuer JWKS the operator trusts, by kid",
  headerMembers: ["kid"],
  readClaims: readCheckpointClaims,
  answers: AUTH_ANSWERS,
  errorCode: "audit.checkpoint_invalid",
};

/** Every kind, by name (docs and tests walk it). */
export const TOKEN_KINDS = { CREDENTIAL, SESSION, PROOF, HANDSHAKE, POSSESSION, ADMIN, CHECKPOINT } as const;
