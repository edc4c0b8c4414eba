/** Streams an audit range with AdminService.ExportAudit into the export file format and verifies it offline. */
import { toJson } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { AdminService, ExportAuditResponseSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import { verifyCheckpointJws } from "../../domain/audit/checkpoint-jws.js";
import { parseExportFile, type AuditExport } from "../../domain/audit/export-file.js";
import { parseTrustedKeys } from "../../domain/audit/trusted-keys.js";
import { verifyExport, type VerifyExportResult } from "../../domain/audit/verify-export.js";

export interface ExportedRange {
  /** The export as JSON Lines (what `npm run audit:verify` reads). */
  readonly text: string;
  readonly parsed: AuditExport;
  /** The same check `npm run audit:verify` makes. */
  readonly result: VerifyExportResult;
}

/**
 * Exports seq startSeq..endSeq (inclusive) and verifies hashes, links, anchor and checkpoint signatures against
 * `trustedJwks` (the operator's issuer JWKS, JSON text) when given.
 */
export async function exportAndVerify(admin: Client<typeof AdminService>, startSeq: bigint, endSeq: bigint, trustedJwks?: string): Promise<ExportedRange> {
  const lines: string[] = [];
  for await (const message of admin.exportAudit({ startSeq, endSeq })) {
    lines.push(JSON.stringify(toJson(ExportAuditResponseSchema, message)));
  }
  const text = `${lines.join("\n")}\n`;
  const parsed = parseExportFile(text);
  // Without the operator's keys, the smoke checks the running service's own stream, received over mTLS a moment
  // ago, so the JWKS it carries stands in for them; an offline check of a kept file names the operator's (--jwks).
  const trusted = parseTrustedKeys(trustedJwks ?? parsed.header.jwks);
  const result = await verifyExport(parsed, (jws) => verifyCheckpointJws(jws, trusted));
  return { text, parsed, result };
}
