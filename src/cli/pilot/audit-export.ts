/** Streams an audit range with AdminService.ExportAudit into the export file format and verifies it offline. */
import { toJson } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { AdminService, ExportAuditResponseSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import { type AuditExport, parseExportFile, verifyCheckpointJws, verifyExport, type VerifyExportResult } from "../../domain/audit/index.js";

export interface ExportedRange {
  /** The export as JSON Lines (what `npm run audit:verify` reads). */
  readonly text: string;
  readonly parsed: AuditExport;
  /** The same check `npm run audit:verify` makes. */
  readonly result: VerifyExportResult;
}

/** Exports seq startSeq..endSeq (inclusive) and verifies hashes, links, anchor and checkpoint signatures. */
export async function exportAndVerify(admin: Client<typeof AdminService>, startSeq: bigint, endSeq: bigint): Promise<ExportedRange> {
  const lines: string[] = [];
  for await (const message of admin.exportAudit({ startSeq, endSeq })) {
    lines.push(JSON.stringify(toJson(ExportAuditResponseSchema, message)));
  }
  const text = `${lines.join("\n")}\n`;
  const parsed = parseExportFile(text);
  const result = await verifyExport(parsed, verifyCheckpointJws);
  return { text, parsed, result };
}
