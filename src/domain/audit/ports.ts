/** Ports the audit module consumes: reading the chain, storing checkpoints, appending batches, the issuer keys. */
import type { Page, PageRequest } from "../paging.js";
import type { AuditCheckpointRecord, AuditEventInput, AuditEventRecord, ChainHead } from "./chain.js";

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

/** Reading the chain and its checkpoints. */
export interface AuditReader {
  /** Newest first (seq descending). */
  list(filter: AuditListFilter): Promise<Page<AuditEventRecord>>;
  /** Events startSeq..endSeq inclusive, ascending. */
  range(startSeq: number, endSeq: number): Promise<AuditEventRecord[]>;
  head(): Promise<ChainHead | undefined>;
  /** Checkpoints with startSeq <= seq <= endSeq, ascending. */
  checkpointsCovering(startSeq: number, endSeq: number): Promise<AuditCheckpointRecord[]>;
}

/** What the checkpointer reads and writes (storing a checkpoint never changes the chain). */
export interface CheckpointStore {
  head(): Promise<ChainHead | undefined>;
  /** Events startSeq..endSeq inclusive, ascending (the checkpointer checks what it signs). */
  range(startSeq: number, endSeq: number): Promise<AuditEventRecord[]>;
  latestCheckpoint(): Promise<AuditCheckpointRecord | undefined>;
  /** Idempotent for the same seq. */
  insertCheckpoint(checkpoint: AuditCheckpointRecord): Promise<void>;
}

/** Appends a batch of events to the chain in one transaction (the group-commit writer's port). */
export interface AuditBatchAppender {
  appendBatch(events: readonly AuditEventInput[]): Promise<void>;
}

/** Every issuer public key ever used (retired and revoked included): exports carry them to check checkpoints. */
export interface IssuerKeyHistory {
  everyKeyJwks(): { readonly keys: readonly object[] };
}
