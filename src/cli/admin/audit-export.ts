/**
 * `admin audit export`: streams AdminService.ExportAudit into a JSON Lines file (what `audit verify` and
 * `npm run audit:verify` read), message by message, with progress on stderr. The file appears only when the whole
 * export arrived: it is written to a hidden temporary file beside it and renamed at the end.
 */
import { once } from "node:events";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { AdminService, ExportAuditResponseSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import { localError } from "./failures.js";
import type { Io } from "./output.js";

export interface ExportRequest {
  readonly file: string;
  readonly startSeq: bigint;
  readonly endSeq: bigint;
  readonly force: boolean;
  /** Deadline of the whole stream, ms. */
  readonly timeoutMs: number;
  /** Progress lines on stderr (off for --quiet). */
  readonly progress: boolean;
  readonly nowMs?: () => number;
}

export interface ExportSummary {
  readonly file: string;
  readonly startSeq: number;
  readonly endSeq: number;
  readonly events: number;
  readonly checkpoints: number;
}

/** At most one progress line a second. */
const PROGRESS_EVERY_MS = 1000;

async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, "drain");
}

async function openPartial(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags: "wx", mode: 0o600 });
  try {
    await once(stream, "open");
  } catch (e) {
    const code = e instanceof Error && "code" in e ? String(e.code) : "unwritable";
    throw localError(`cannot create ${path} (${code})`);
  }
  return stream;
}

async function finish(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, "finish");
}

/** Streams the export into `file`; returns what was written. */
export async function exportAuditToFile(admin: Client<typeof AdminService>, io: Io, r: ExportRequest): Promise<ExportSummary> {
  if (!r.force && existsSync(r.file)) throw localError(`${r.file} already exists; pass --force to overwrite it`);
  const now = r.nowMs ?? Date.now;
  await mkdir(dirname(r.file), { recursive: true }).catch((e: unknown) => {
    throw localError(`cannot create the folder of ${r.file}: ${e instanceof Error ? e.message : String(e)}`);
  });
  const partial = join(dirname(r.file), `.${basename(r.file)}.${randomBytes(6).toString("hex")}.partial`);
  const stream = await openPartial(partial);
  let range = { start: 0, end: 0 };
  let events = 0;
  let checkpoints = 0;
  let lastProgress = now();
  try {
    for await (const message of admin.exportAudit({ startSeq: r.startSeq, endSeq: r.endSeq }, { timeoutMs: r.timeoutMs })) {
      await writeLine(stream, JSON.stringify(toJson(ExportAuditResponseSchema, message)));
      const item = message.item;
      if (item.case === "header") {
        range = { start: Number(item.value.startSeq), end: Number(item.value.endSeq) };
        if (r.progress) io.err(`exporting seq ${range.start}..${range.end} (${range.end - range.start + 1} events) to ${r.file}`);
      } else if (item.case === "event") {
        events += 1;
        if (r.progress && now() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = now();
          io.err(`  ${events}/${range.end - range.start + 1} events (seq ${item.value.seq})`);
        }
      } else if (item.case === "checkpoint") checkpoints += 1;
    }
    await finish(stream);
    await rename(partial, r.file);
  } catch (e) {
    stream.destroy();
    await rm(partial, { force: true });
    throw e;
  }
  if (r.progress) io.err(`exported ${events} events and ${checkpoints} signed checkpoints to ${r.file}`);
  return { file: r.file, startSeq: range.start, endSeq: range.end, events, checkpoints };
}
