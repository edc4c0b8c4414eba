/** Ports the trust module consumes: the trust records, and the transaction a telemetry report writes in. */
import type { AuditRecorder } from "../audit/index.js";
import type { JsonObject } from "../json.js";
import type { OrgRepository } from "../orgs/index.js";

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

/** The stores a telemetry report writes inside one transaction. */
interface TelemetryTx {
  readonly trustEvents: TrustEventRepository;
  readonly trustState: TrustStateRepository;
  readonly audit: AuditRecorder;
}

export interface TelemetryUnitOfWork {
  run<T>(fn: (tx: TelemetryTx) => Promise<T>): Promise<T>;
}

/** Reads outside any transaction. */
export interface TelemetryReads {
  readonly trustEvents: TrustEventRepository;
  readonly trustState: TrustStateRepository;
  readonly orgs: Pick<OrgRepository, "get">;
}
