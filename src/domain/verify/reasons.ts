/** The verification reasons: numeric values matching proto enum Reason, and their stable lower-case codes. */

/** Numeric reason values, identical to `agentidentity.v1.Reason` (proto/agentidentity/v1/verifier.proto). */
export const Reason = {
  UNSPECIFIED: 0,
  VERIFIED: 1,
  NONCE_REPLAY: 2,
  REVOKED: 3,
  EXPIRED: 4,
  NOT_YET_VALID: 5,
  BAD_SIGNATURE: 6,
  KEY_MISMATCH: 7,
  STALE_PROOF: 8,
  AUDIENCE_MISMATCH: 9,
  CREDENTIAL_MISMATCH: 10,
  UNKNOWN_AGENT: 11,
  SCOPE_NOT_GRANTED: 12,
  OPERATION_NOT_GRANTED: 13,
  AMOUNT_LIMIT_EXCEEDED: 14,
  WRONG_TOKEN_TYPE: 15,
  UNKNOWN_ISSUER_KEY: 16,
  REQUEST_MISMATCH: 17,
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];

/** Stable lower-case reason codes (the `reason_code` field and the `reason` metric label). */
export const REASON_CODES = [
  "unspecified",
  "verified",
  "nonce_replay",
  "revoked",
  "expired",
  "not_yet_valid",
  "bad_signature",
  "key_mismatch",
  "stale_proof",
  "audience_mismatch",
  "credential_mismatch",
  "unknown_agent",
  "scope_not_granted",
  "operation_not_granted",
  "amount_limit_exceeded",
  "wrong_token_type",
  "unknown_issuer_key",
  "request_mismatch",
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/** A refusal reason: every code except "verified" and "unspecified". */
export type RefusalCode = Exclude<ReasonCode, "verified" | "unspecified">;

/** The code of a numeric reason (index in REASON_CODES equals the proto number). */
export function reasonCodeOf(reason: Reason): ReasonCode {
  return REASON_CODES[reason];
}

/** The numeric reason of a code. */
export function reasonOf(code: ReasonCode): Reason {
  return REASON_CODES.indexOf(code) as Reason;
}
