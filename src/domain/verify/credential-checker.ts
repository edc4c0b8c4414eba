/** Port: checks an agent credential (typ agent-cred+jwt) against the issuer keys; implemented by the issuer module. */
import type { RefusalCode } from "./reasons.js";

/** What the Verify path needs from a valid credential. */
export interface CredentialSubjectClaims {
  readonly agentId: string;
  readonly orgId: string;
  /** cnf.jkt: RFC 7638 thumbprint of the key the credential is bound to. */
  readonly jkt: string;
  /** The capability-manifest hash the credential was issued for. */
  readonly capHash: string;
}

export type CredentialCheckResult =
  | { readonly ok: true; readonly claims: CredentialSubjectClaims }
  /** e.g. expired, not_yet_valid, bad_signature, wrong_token_type, unknown_issuer_key. */
  | { readonly ok: false; readonly reason: RefusalCode };

/** Signature, typ, iss, nbf/exp of a credential; positive results may be cached by the implementation. */
export interface CredentialChecker {
  check(token: string): Promise<CredentialCheckResult> | CredentialCheckResult;
}
