/**
 * Building an export of a contiguous seq range with its anchor and the checkpoints that cover it. The range ends
 * at a signed checkpoint (extended to the first one at or after the requested end; the head is signed first when
 * none is), and its events are read from the database a page at a time as the consumer pulls them.
 */
import { DomainError, invalidField } from "../errors.js";
import type { AuditReader } from "../storage.js";
import { GENESIS_HASH, type AuditCheckpointRecord, type AuditEventRecord } from "./chain.js";
import type { AuditExport, AuditExportHeader } from "./export-file.js";
import { rangeInPages } from "./range-pages.js";

/** The most events one export request may ask for (the proto's limit); the end may move on to its checkpoint. */
export const MAX_EXPORT_EVENTS = 100_000;

export interface ExportRangeRequest {
  /** >= 1; 0 means 1. */
  readonly startSeq: number;
  /** Inclusive; 0 means the current head. */
  readonly endSeq: number;
}

/** An export whose events are read lazily, a page per database read, as they are consumed. */
export interface AuditExportStream {
  readonly header: AuditExportHeader;
  readonly events: AsyncIterable<AuditEventRecord>;
  readonly checkpoints: readonly AuditCheckpointRecord[];
}

export interface ExportSources {
  readonly reader: AuditReader;
  /** Signs the current head if it moved (the checkpointer's checkpointNow); absent: only stored checkpoints count. */
  readonly sealHead?: () => Promise<unknown>;
}

/** The first checkpoint at or after `seq`, signing the head first when there is none. */
async function checkpointAtOrAfter(sources: ExportSources, seq: number): Promise<AuditCheckpointRecord | undefined> {
  const find = async (): Promise<AuditCheckpointRecord | undefined> =>
    (await sources.reader.checkpointsCovering(seq, seq + MAX_EXPORT_EVENTS))[0];
  const found = await find();
  if (found !== undefined || sources.sealHead === undefined) return found;
  try {
    await sources.sealHead();
  } catch (e) {
    throw new DomainError("unavailable", "audit.checkpoint_unavailable", "the audit head cannot be checkpointed now", { cause: e });
  }
  return find();
}

/**
 * Checks the range, moves its end on to a signed checkpoint, reads its anchor (the prev_hash of the first event)
 * and the covering checkpoints; the events come lazily.
 * @param jwks the issuer public keys (JWKS JSON), informational only: verifiers use their own trusted keys.
 */
export async function openAuditExport(sources: ExportSources, request: ExportRangeRequest, jwks: string, nowMs: number): Promise<AuditExportStream> {
  const { reader } = sources;
  const head = await reader.head();
  const startSeq = request.startSeq === 0 ? 1 : request.startSeq;
  const requestedEnd = request.endSeq === 0 ? (head?.seq ?? 0) : request.endSeq;
  if (startSeq < 1) throw invalidField("audit.export_range", "start_seq", "must be >= 1");
  if (head === undefined || requestedEnd > head.seq) throw invalidField("audit.export_range", "end_seq", "beyond the head of the chain");
  if (requestedEnd < startSeq) throw invalidField("audit.export_range", "end_seq", "must be >= start_seq");
  if (requestedEnd - startSeq + 1 > MAX_EXPORT_EVENTS) {
    throw invalidField("audit.export_range", "end_seq", `at most ${MAX_EXPORT_EVENTS} events per export`);
  }
  const end = await checkpointAtOrAfter(sources, requestedEnd);
  if (end === undefined && sources.sealHead !== undefined) {
    throw new DomainError("unavailable", "audit.checkpoint_unavailable", "no signed checkpoint covers the end of the range yet");
  }
  const endSeq = end?.seq ?? requestedEnd;
  const first = (await reader.range(startSeq, startSeq))[0];
  const anchorHash = first?.prevHash ?? GENESIS_HASH;
  const checkpoints = await reader.checkpointsCovering(startSeq, endSeq);
  return {
    header: { startSeq, endSeq, anchorHash, jwks, exportTimeMs: nowMs },
    events: rangeInPages(reader, startSeq, endSeq),
    checkpoints,
  };
}

/** The whole export in memory (tests and small ranges; the service streams openAuditExport instead). */
export async function buildAuditExport(sources: ExportSources, request: ExportRangeRequest, jwks: string, nowMs: number): Promise<AuditExport> {
  const stream = await openAuditExport(sources, request, jwks, nowMs);
  const events: AuditEventRecord[] = [];
  for await (const e of stream.events) events.push(e);
  return { header: stream.header, events, checkpoints: stream.checkpoints };
}
