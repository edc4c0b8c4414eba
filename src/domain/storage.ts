/** Storage ports of the identity core: repositories, the unit of work, and the audit chain's stores. */
import type { AuditCheckpointRecord, AuditEventInput, AuditEventRecord, ChainHead } from "./audit/chain.js";
import type { JsonObject } from "./audit/canonical-json.js";
import type { IssuerKeyRepository } from "./issuer/ports.js";
import type { Agent, AgentPublicJwk, AgentState, AgentStatus, CapabilityManifest, Org, Page } from "./model.js";

/** Page request: pageSize <= 0 means the default (50); larger than 500 is clamped to 500. */
export interface PageRequest {
  readonly pageSize?: number;
  /** The opaque token of a previous page; a malformed token is invalid_argument "pagination.invalid_token". */
  readonly pageToken?: string;
}

export interface OrgRepository {
  /** Names are unique ignoring case: a taken name is already_exists "org.name_taken". */
  insert(org: Org): Promise<void>;
  get(id: string): Promise<Org | undefined>;
  /** Oldest first, by (createdAt, id). */
  list(page: PageRequest): Promise<Page<Org>>;
}

export interface AgentListFilter extends PageRequest {
  readonly orgId?: string;
  readonly status?: AgentStatus;
}

export interface RevokeAgentInput {
  readonly by: string;
  readonly reason: string;
  readonly atMs: number;
}

export interface RevokeAgentResult {
  readonly agent: Agent;
  /** false when the agent was already revoked (nothing changed; the first revocation's who/when/why stay). */
  readonly changed: boolean;
}

export interface RotateAgentKeyInput {
  readonly publicJwk: AgentPublicJwk;
  readonly keyThumbprint: string;
  readonly atMs: number;
}

export interface UpdateCapabilitiesInput {
  readonly capabilities: CapabilityManifest;
  readonly manifestHash: string;
  readonly atMs: number;
}

export interface AgentRepository {
  /**
   * Inserts a new agent (status active, the given stateVersion) with its first key and manifest in the
   * history tables. An unknown org is not_found "org.not_found".
   */
  insert(agent: Agent): Promise<void>;
  get(id: string): Promise<Agent | undefined>;
  /** The Verify path's view, joined with the org's tier. */
  getState(id: string): Promise<AgentState | undefined>;
  getStateVersion(id: string): Promise<number | undefined>;
  /** Oldest first, by (createdAt, id). */
  list(filter: AgentListFilter): Promise<Page<Agent>>;
  /** Idempotent; bumps stateVersion only on the first revocation. Unknown agent: not_found "agent.not_found". */
  revoke(id: string, input: RevokeAgentInput): Promise<RevokeAgentResult>;
  /**
   * Retires the current key (kept in history), makes the new one current, bumps stateVersion. Errors:
   * not_found "agent.not_found", failed_precondition "agent.revoked", already_exists "agent.key_reused"
   * (the key was this agent's before).
   */
  rotateKey(id: string, input: RotateAgentKeyInput): Promise<Agent>;
  /** Stores the new manifest (history kept) and bumps stateVersion. Errors as rotateKey (but no key_reused). */
  updateCapabilities(id: string, input: UpdateCapabilitiesInput): Promise<Agent>;
}

export interface IssuedCredential {
  readonly jti: string;
  readonly agentId: string;
  readonly kid: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

export interface CredentialRepository {
  recordIssued(credential: IssuedCredential): Promise<void>;
}

export interface TrustEventRecord {
  /** "tev_..." */
  readonly id: string;
  readonly agentId: string;
  /** Identity of whoever reported it. */
  readonly reporter: string;
  /** e.g. "relying-party", "admin", "system". */
  readonly reporterKind: string;
  readonly eventType: string;
  readonly success: boolean;
  readonly latencyMs: number | undefined;
  readonly slaMet: boolean | undefined;
  readonly dispute: boolean;
  readonly raw: JsonObject;
  /** The verification decision (audit event id) the report is about, if any. */
  readonly decisionId: string | undefined;
  readonly occurredAtMs: number;
  readonly recordedAtMs: number;
}

export interface VerifyDecisionQuery {
  readonly decisionId: string;
  readonly agentId: string;
  /** The relying party's identity (the decision's audit actor). */
  readonly relyingParty: string;
}

export interface TrustEventRepository {
  /** A second report by the same reporter about the same decision is already_exists "trust.duplicate_report". */
  insert(event: TrustEventRecord): Promise<void>;
  /** Newest first; at most `limit` (capped at 1000) events, optionally only those at or after sinceMs. */
  listForAgent(agentId: string, options: { readonly limit: number; readonly sinceMs?: number }): Promise<TrustEventRecord[]>;
  /** True when decisionId is a committed "verify.decision" audit event about agentId by relyingParty. */
  isVerifyDecision(query: VerifyDecisionQuery): Promise<boolean>;
}

export interface TrustStateRecord {
  readonly agentId: string;
  readonly modelVersion: string;
  readonly state: JsonObject;
  /** Optimistic concurrency version, 1 on first write. */
  readonly version: number;
  readonly updatedAtMs: number;
}

export interface TrustStateRepository {
  get(agentId: string): Promise<TrustStateRecord | undefined>;
  /**
   * Writes the state when the stored version equals expectedVersion (0 = not stored yet); returns false when
   * someone else wrote first.
   */
  put(record: Omit<TrustStateRecord, "version">, expectedVersion: number): Promise<boolean>;
}

export interface AuditListFilter extends PageRequest {
  readonly orgId?: string;
  readonly actor?: string;
  readonly action?: string;
  /** The object acted on (e.g. an agent id). */
  readonly target?: string;
  /** Inclusive. */
  readonly startMs?: number;
  /** Exclusive. */
  readonly endMs?: number;
}

/** Reading the chain (and storing checkpoints, which never change it). */
export interface AuditReader {
  /** Newest first (seq descending). */
  list(filter: AuditListFilter): Promise<Page<AuditEventRecord>>;
  /** Events startSeq..endSeq inclusive, ascending. */
  range(startSeq: number, endSeq: number): Promise<AuditEventRecord[]>;
  head(): Promise<ChainHead | undefined>;
  /** Checkpoints with startSeq <= seq <= endSeq, ascending. */
  checkpointsCovering(startSeq: number, endSeq: number): Promise<AuditCheckpointRecord[]>;
  latestCheckpoint(): Promise<AuditCheckpointRecord | undefined>;
  /** Idempotent for the same seq. */
  insertCheckpoint(checkpoint: AuditCheckpointRecord): Promise<void>;
}

/** Recording inside a unit of work: queued, appended to the chain as the last step before COMMIT. */
export interface AuditRecorder {
  record(event: AuditEventInput): void;
}

/** Appends a batch of events to the chain in one transaction (the group-commit writer's port). */
export interface AuditBatchAppender {
  appendBatch(events: readonly AuditEventInput[]): Promise<void>;
}

/** Repositories bound to one transaction. */
export interface Stores {
  readonly orgs: OrgRepository;
  readonly agents: AgentRepository;
  readonly credentials: CredentialRepository;
  readonly issuerKeys: IssuerKeyRepository;
  readonly trustEvents: TrustEventRepository;
  readonly trustState: TrustStateRepository;
  readonly audit: AuditRecorder & AuditReader;
}

/** The same repositories outside any transaction, for reads (and single-statement writes). */
export interface ReadStores {
  readonly orgs: OrgRepository;
  readonly agents: AgentRepository;
  readonly issuerKeys: IssuerKeyRepository;
  readonly trustEvents: TrustEventRepository;
  readonly trustState: TrustStateRepository;
  readonly audit: AuditReader;
}

export interface UnitOfWork {
  /** Runs fn in one transaction; events recorded through tx.audit are appended to the chain just before COMMIT. */
  run<T>(fn: (tx: Stores) => Promise<T>): Promise<T>;
}
