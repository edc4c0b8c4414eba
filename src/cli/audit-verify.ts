/** `npm run audit:verify <export file>`: checks an audit export offline; prints OK + range or the first broken link. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { verifyCheckpointJws } from "../domain/audit/checkpoint-jws.js";
import { ExportFormatError, parseExportFile } from "../domain/audit/export-file.js";
import { verifyExport } from "../domain/audit/verify-export.js";

const USAGE = "usage: npm run audit:verify -- <export file>";

export interface AuditVerifyOutcome {
  /** 0 verified, 1 broken or unreadable, 2 usage. */
  readonly exitCode: number;
  readonly output: string;
}

/** What checking an export file found: verified, broken (first broken link), malformed, or unreadable. */
export type ExportFileCheck =
  | { readonly kind: "ok"; readonly startSeq: number; readonly endSeq: number; readonly events: number; readonly checkpoints: number }
  | { readonly kind: "broken"; readonly seq: number; readonly problem: string }
  | { readonly kind: "malformed"; readonly problem: string }
  | { readonly kind: "unreadable"; readonly problem: string };

/** Reads and verifies one export file (the check `npm run audit:verify` and `npm run admin -- audit verify` make). */
export async function checkExportFile(path: string): Promise<ExportFileCheck> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    return { kind: "unreadable", problem: `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}` };
  }
  let result;
  try {
    result = await verifyExport(parseExportFile(text), verifyCheckpointJws);
  } catch (e) {
    if (e instanceof ExportFormatError) return { kind: "malformed", problem: e.message };
    throw e;
  }
  if (!result.ok) return { kind: "broken", seq: result.seq, problem: result.problem };
  return { kind: "ok", startSeq: result.startSeq, endSeq: result.endSeq, events: result.events, checkpoints: result.checkpoints };
}

/** The one-line report of a check. */
export function describeExportCheck(c: ExportFileCheck): string {
  switch (c.kind) {
    case "ok":
      return `OK seq ${c.startSeq}..${c.endSeq} (${c.events} events, ${c.checkpoints} signed checkpoints verified)`;
    case "broken":
      return `BROKEN at seq ${c.seq}: ${c.problem}`;
    case "malformed":
      return `BROKEN: malformed export: ${c.problem}`;
    case "unreadable":
      return c.problem;
  }
}

/** Verifies the export file named by argv[0]. */
export async function auditVerify(argv: readonly string[]): Promise<AuditVerifyOutcome> {
  if (argv.length !== 1 || argv[0]!.startsWith("-")) return { exitCode: 2, output: USAGE };
  const check = await checkExportFile(argv[0]!);
  return { exitCode: check.kind === "ok" ? 0 : 1, output: describeExportCheck(check) };
}

async function main(): Promise<void> {
  const { exitCode, output } = await auditVerify(process.argv.slice(2));
  (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
  process.exitCode = exitCode;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
