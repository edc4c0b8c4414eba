/**
 * `npm run audit:verify -- --jwks FILE|URL <export file>`: checks an audit export offline against the operator's
 * trusted issuer keys (never the JWKS inside the export); prints OK + range or the first broken link.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { verifyCheckpointJws } from "../domain/audit/checkpoint-jws.js";
import { ExportFormatError, parseExportFile } from "../domain/audit/export-file.js";
import { parseTrustedKeys, TrustedKeysError, type TrustedKeys } from "../domain/audit/trusted-keys.js";
import { verifyExport } from "../domain/audit/verify-export.js";

const USAGE = "usage: npm run audit:verify -- --jwks FILE|URL <export file>";

/** How long fetching a JWKS URL may take. */
const JWKS_FETCH_TIMEOUT_MS = 10_000;

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

async function readTrustedJwks(source: string): Promise<string> {
  if (!/^https?:\/\//i.test(source)) return readFile(source, "utf8");
  const res = await fetch(source, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS), redirect: "error" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

/**
 * The operator's trusted issuer keys from a JWKS file or http(s) URL (keys may carry revoked_at).
 * @returns the keys, or the problem as text.
 */
export async function loadTrustedKeys(source: string): Promise<TrustedKeys | string> {
  let text: string;
  try {
    text = await readTrustedJwks(source);
  } catch (e) {
    return `cannot read trusted keys ${source}: ${e instanceof Error ? e.message : String(e)}`;
  }
  try {
    return parseTrustedKeys(text);
  } catch (e) {
    if (e instanceof TrustedKeysError) return `trusted keys ${source}: ${e.message}`;
    throw e;
  }
}

/**
 * Reads and verifies one export file against the trusted keys at `jwksSource` (a JWKS file or URL); the JWKS
 * inside the export is ignored. The check `npm run audit:verify` and `npm run admin -- audit verify` make.
 */
export async function checkExportFile(path: string, jwksSource: string): Promise<ExportFileCheck> {
  const trusted = await loadTrustedKeys(jwksSource);
  if (typeof trusted === "string") return { kind: "unreadable", problem: trusted };
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    return { kind: "unreadable", problem: `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}` };
  }
  let result;
  try {
    result = await verifyExport(parseExportFile(text), (jws) => verifyCheckpointJws(jws, trusted));
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

/** Verifies the export file named by the one positional argument against `--jwks FILE|URL`. */
export async function auditVerify(argv: readonly string[]): Promise<AuditVerifyOutcome> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { jwks: { type: "string" } }, allowPositionals: true, strict: true });
  } catch {
    return { exitCode: 2, output: USAGE };
  }
  const jwks = parsed.values.jwks;
  if (parsed.positionals.length !== 1 || jwks === undefined || jwks === "") return { exitCode: 2, output: USAGE };
  const check = await checkExportFile(parsed.positionals[0]!, jwks);
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
