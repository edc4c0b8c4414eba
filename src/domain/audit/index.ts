/**
 * The audit module: the hash chain, recording inside units of work, group-committed decisions, signed
 * checkpoints, admin queries and exports, and offline verification of an export.
 */
import type { Clock } from "../clock.js";
import type { AuditReader, IssuerKeyHistory } from "./ports.js";
import { AuditQuery } from "./query.js";

export { canonicalJson } from "./canonical-json.js";
export { canonicalEventBytes } from "./chain-link.js";
export {
  GENESIS_HASH,
  sealEvents,
  type AuditCheckpointRecord,
  type AuditEventInput,
  type AuditEventRecord,
  type AuditRecorder,
  type ChainHead,
} from "./chain.js";
export { signCheckpoint, verifyCheckpointJws } from "./checkpoint-jws.js";
export { createCheckpointer } from "./checkpointer.js";
export { auditDecisionRecorder } from "./decision-recorder.js";
export { createDecisionWriter, type DecisionWriter } from "./decision-writer.js";
export { buildAuditExport } from "./export.js";
export { ExportFormatError, formatExportFile, parseExportFile, type AuditExport } from "./export-file.js";
export type { AuditBatchAppender, AuditListFilter, AuditReader, CheckpointStore } from "./ports.js";
export type { AuditQuery } from "./query.js";
export { parseTrustedKeys, TrustedKeysError, type TrustedKeys } from "./trusted-keys.js";
export { verifyExport, type VerifyExportResult } from "./verify-export.js";

interface AuditDeps {
  readonly reader: AuditReader;
  readonly issuerKeys: IssuerKeyHistory;
  readonly clock: Clock;
  /** Signs the audit head if it moved (the checkpointer), so an export always ends at a signed checkpoint. */
  readonly sealHead?: () => Promise<unknown>;
}

/** The audit services the API serves: list and export. */
export function createAudit(deps: AuditDeps): { readonly query: AuditQuery } {
  return { query: new AuditQuery(deps) };
}
