/** `npm run audit:verify <export file>`: checks an audit export offline; prints OK + range or the first broken link. */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { verifyCheckpointJws } from "../domain/audit/checkpoint-jws.js";
import { ExportFormatError, parseExportFile, verifyExport } from "../domain/audit/index.js";

const USAGE = "usage: npm run audit:verify -- <export file>";

export interface AuditVerifyOutcome {
  /** 0 verified, 1 broken or unreadable, 2 usage. */
  readonly exitCode: number;
  readonly output: string;
}

/** Verifies the export file named by argv[0]. */
export async function auditVerify(argv: readonly string[]): Promise<AuditVerifyOutcome> {
  if (argv.length !== 1 || argv[0]!.startsWith("-")) return { exitCode: 2, output: USAGE };
  let text: string;
  try {
    text = await readFile(argv[0]!, "utf8");
  } catch (e) {
    return { exitCode: 1, output: `cannot read ${argv[0]}: ${e instanceof Error ? e.message : String(e)}` };
  }
  let result;
  try {
    result = await verifyExport(parseExportFile(text), verifyCheckpointJws);
  } catch (e) {
    if (e instanceof ExportFormatError) return { exitCode: 1, output: `BROKEN: malformed export: ${e.message}` };
    throw e;
  }
  if (result.ok) {
    return {
      exitCode: 0,
      output: `OK seq ${result.startSeq}..${result.endSeq} (${result.events} events, ${result.checkpoints} signed checkpoints verified)`,
    };
  }
  return { exitCode: 1, output: `BROKEN at seq ${result.seq}: ${result.problem}` };
}

async function main(): Promise<void> {
  const { exitCode, output } = await auditVerify(process.argv.slice(2));
  (exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
  process.exitCode = exitCode;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
