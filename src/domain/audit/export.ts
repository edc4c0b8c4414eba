/** Building an export of a contiguous seq range with its anchor and the checkpoints that cover it. */
import { invalidField } from "../errors.js";
import { GENESIS_HASH } from "./chain.js";
import type { AuditExport } from "./export-file.js";
import type { AuditReader } from "./ports.js";

/** The most events one export carries (the proto's limit). */
const MAX_EXPORT_EVENTS = 100_000;

export interface ExportRangeRequest {
  /** >= 1; 0 means 1. */
  readonly startSeq: number;
  /** Inclusive; 0 means the current head. */
  readonly endSeq: number;
}

/**
 * Reads the range and its anchor (the prev_hash of the first event) and the covering checkpoints.
 * @param jwks the issuer public keys (JWKS JSON) that check the checkpoints, retired keys included.
 */
export async function buildAuditExport(
  reader: AuditReader,
  request: ExportRangeRequest,
  jwks: string,
  nowMs: number,
): Promise<AuditExport> {
  const head = await reader.head();
  const startSeq = request.startSeq === 0 ? 1 : request.startSeq;
  const endSeq = request.endSeq === 0 ? (head?.seq ?? 0) : request.endSeq;
  if (startSeq < 1) throw invalidField("audit.export_range", "start_seq", "must be >= 1");
  if (head === undefined || endSeq > head.seq) throw invalidField("audit.export_range", "end_seq", "beyond the head of the chain");
  if (endSeq < startSeq) throw invalidField("audit.export_range", "end_seq", "must be >= start_seq");
  if (endSeq - startSeq + 1 > MAX_EXPORT_EVENTS) {
    throw invalidField("audit.export_range", "end_seq", `at most ${MAX_EXPORT_EVENTS} events per export`);
  }
  const events = await reader.range(startSeq, endSeq);
  const checkpoints = await reader.checkpointsCovering(startSeq, endSeq);
  const anchorHash = events[0]?.prevHash ?? GENESIS_HASH;
  return { header: { startSeq, endSeq, anchorHash, jwks, exportTimeMs: nowMs }, events, checkpoints };
}
