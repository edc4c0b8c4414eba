/** The ports the verify module consumes: credentials, agent state, the replay store (by concern), trust, audit, metrics. */
import type { ErrorKind } from "../errors.js";
import type { TrustScore } from "../trust/score.js";
import type { ReasonCode, RefusalCode } from "./reasons.js";
import type { AgentState } from "../agents/index.js";

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

/** Signature, typ, iss, nbf/exp of a credential (implemented by the credentials module, results cached). */
export interface CredentialChecker {
  /** @throws DomainError invalid_argument naming `field` for envelope faults. */
  check(token: string, field?: string): Promise<CredentialCheckResult> | CredentialCheckResult;
}

/** The agent states the Verify path decides on: cached, reloadable from the database. */
export interface AgentStates {
  get(agentId: string): Promise<AgentState | undefined>;
  /** Bypasses the cache (the shared version moved, or a token is bound to something the cache does not know). */
  reload(agentId: string): Promise<AgentState | undefined>;
}

export interface AdmitRequest {
  /** The calling relying party's identity (mTLS peer), never a client-chosen header. */
  readonly callerKey: string;
  readonly agentId: string;
  readonly jti: string;
  /** The state version the caller's cached agent state carries. */
  readonly agentStateVersion: number;
  readonly callerLimitPerMinute: number;
  readonly agentLimitPerMinute: number;
  /** Nonce lifetime: the whole acceptance window plus skew (see nonceTtlMsFor). */
  readonly nonceTtlMs: number;
  /** The proof's iat in milliseconds. */
  readonly proofIatMs: number;
  /** Proofs with iat <= epoch + epochGraceMs are refused (before_epoch); normally the skew. */
  readonly epochGraceMs: number;
  readonly nowMs: number;
}

export type AdmitOutcome =
  | { readonly outcome: "admitted" }
  | { readonly outcome: "replay" }
  | { readonly outcome: "rate_limited"; readonly scope: "caller" | "agent"; readonly retryAfterMs: number }
  /** currentVersion undefined: the store does not know the agent's version (reload, then setAgentVersion). */
  | { readonly outcome: "stale_state"; readonly currentVersion: number | undefined }
  | { readonly outcome: "before_epoch" };

/**
 * Admission. First the per-caller limit (GCRA, burst = one minute's quota) is checked and charged; refused,
 * nothing else is touched. Then, as one atomic step per agent: the agent's epoch record is created when missing
 * (the first contact after the store, or the agent's part of it, came back empty starts it); (1) the agent's
 * stored state version must equal agentStateVersion (a missing version is stale); (2) the epoch must precede
 * proofIatMs - epochGraceMs; (3) the per-agent limit must allow the request; (4) only then it is charged and
 * (agentId, jti) is consumed with SET NX PX nonceTtlMs. A refused request (caller or agent limited, stale,
 * before epoch) changes nothing: the caller's charge is given back (a concurrent request may see it for that
 * moment); a replay has been charged to both limits. Store failures throw DomainError "unavailable" (fail closed).
 */
export interface Admission {
  admit(request: AdmitRequest): Promise<AdmitOutcome>;
}

/** The replay store's epoch (restart protection). */
export interface ReplayEpoch {
  /**
   * Creates the store's epoch at `epochMs` unless one exists (SET NX); returns the epoch in force. Called at
   * start-up with an epoch in the past when the audit log proves that no proof was consumed within the last
   * window (a fresh deployment), so a clean start does not refuse fresh proofs for a window. A store kept in
   * parts (a Redis Cluster's agent buckets) creates every part's missing epoch and returns the latest in force.
   */
  initEpoch(epochMs: number): Promise<number>;
}

/** The shared record of each agent's state version (the admission step compares against it). */
export interface AgentVersionSink {
  /** Records an agent's state version after commit; never lowers a stored version. */
  setAgentVersion(agentId: string, version: number): Promise<void>;
}

/** Single-use values with a lifetime: handshake session proposals. */
export interface ProposalStore {
  putProposal(id: string, value: string, ttlMs: number): Promise<void>;
  /** Returns and deletes a stored proposal (undefined when missing or expired). */
  takeProposal(id: string): Promise<string | undefined>;
}

/** The replay store adapters implement every concern (one Redis script or one in-memory map set). */
export type ReplayStore = Admission & ReplayEpoch & AgentVersionSink & ProposalStore;

/** The agent facts a trust score depends on. */
export interface ScoredAgent {
  readonly agentId: string;
  readonly createdAtMs: number;
  readonly orgTier: AgentState["orgTier"];
}

/** The trust score now (implemented by the trust module's TrustScorer). */
export interface TrustScorer {
  score(agent: ScoredAgent): Promise<TrustScore>;
}

/** One verification decision as written to the audit log (action "verify.decision" / "handshake.decision"). */
export interface DecisionRecord {
  readonly kind: "verify" | "handshake";
  readonly atMs: number;
  /** The relying party's identity. */
  readonly caller: string;
  readonly valid: boolean;
  readonly reasonCode: ReasonCode;
  readonly agentId: string | undefined;
  readonly orgId: string | undefined;
  /** Verify: what the relying party asked about. */
  readonly scope: string | undefined;
  readonly operation: string | undefined;
  readonly amountMinor: bigint | undefined;
  readonly currency: string | undefined;
  /** Handshake: the requested scopes. */
  readonly requestedScopes: readonly string[] | undefined;
  /** jti of the proof or handshake, when it was read. */
  readonly jti: string | undefined;
  /** Session id when a session token was presented. */
  readonly sessionId: string | undefined;
  readonly trustScore: number | undefined;
  /** The request id of the call that produced the decision. */
  readonly requestId?: string;
}

/** Records a decision (group-commit audit writer) and returns its audit event id. */
export interface DecisionRecorder {
  record(decision: DecisionRecord): Promise<{ decisionId: string }>;
}

/** Endpoints of the rate-limit metric's `endpoint` label. */
export type LimitedEndpoint = "verify" | "verify_handshake";

/**
 * Metrics callbacks (telemetry/verify-metrics.ts wires them to prom-client, where valid becomes the label
 * result="success" and invalid or error result="failure"); reason: a REASON_CODES entry, or the ErrorKind of an error.
 */
export interface VerifyMetrics {
  verifyResult(result: "valid" | "invalid" | "error", reason: ReasonCode | ErrorKind, durationSeconds: number): void;
  replayDenied(): void;
  rateLimited(endpoint: LimitedEndpoint): void;
}
