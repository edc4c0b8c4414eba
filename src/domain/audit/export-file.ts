/**
 * The audit export file: JSON Lines, one AdminService.ExportAudit response message per line in protobuf JSON
 * form ({"header":{...}}, then {"event":{...}} in seq order, then {"checkpoint":{...}}). The parser also accepts
 * pretty-printed messages one after another (grpcurl / buf curl output) and proto field names in snake_case.
 */
import type { JsonObject } from "./canonical-json.js";
import type { AuditCheckpointRecord, AuditEventRecord } from "./chain.js";

export interface AuditExportHeader {
  readonly startSeq: number;
  readonly endSeq: number;
  /** Hash of the event before startSeq (64 zeros when startSeq is 1). */
  readonly anchorHash: string;
  /** The issuer public keys (JWKS JSON) that check the checkpoint signatures. */
  readonly jwks: string;
  readonly exportTimeMs: number;
}

export interface AuditExport {
  readonly header: AuditExportHeader;
  readonly events: readonly AuditEventRecord[];
  readonly checkpoints: readonly AuditCheckpointRecord[];
}

export class ExportFormatError extends Error {
  override readonly name = "ExportFormatError";
}

/** RFC 3339 as protobuf JSON writes Timestamps (UTC, "Z", 0/3/6/9 fraction digits). */
function timestampJson(ms: number): string {
  return new Date(ms).toISOString();
}

function parseTimestamp(value: unknown, what: string): number {
  if (typeof value !== "string") throw new ExportFormatError(`${what}: expected an RFC 3339 timestamp`);
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(value);
  if (m === null) throw new ExportFormatError(`${what}: expected an RFC 3339 UTC timestamp`);
  const fraction = (m[2] ?? "").padEnd(9, "0");
  if (fraction.slice(3) !== "000000") throw new ExportFormatError(`${what}: sub-millisecond precision is not used by the audit log`);
  const ms = Date.parse(`${m[1]}.${fraction.slice(0, 3)}Z`);
  if (!Number.isFinite(ms)) throw new ExportFormatError(`${what}: invalid timestamp`);
  return ms;
}

function field(obj: Record<string, unknown>, camel: string, snake: string): unknown {
  return obj[camel] !== undefined ? obj[camel] : obj[snake];
}

function parseInt64(value: unknown, what: string): number {
  if (value === undefined) return 0;
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw new ExportFormatError(`${what}: expected an integer`);
  return n;
}

function parseString(value: unknown, what: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string") throw new ExportFormatError(`${what}: expected a string`);
  return value;
}

function parseBytes(value: unknown, what: string): Uint8Array {
  const s = parseString(value, what);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw new ExportFormatError(`${what}: expected base64`);
  const standard = s.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (standard.length % 4 === 1) throw new ExportFormatError(`${what}: expected base64`);
  // atob: no Node Buffer, so the browser console parses exports with this same code.
  return Uint8Array.from(atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ExportFormatError(`${what}: expected an object`);
  return value as Record<string, unknown>;
}

function parseEvent(o: Record<string, unknown>, where: string): AuditEventRecord {
  const orgId = parseString(field(o, "orgId", "org_id"), `${where}.orgId`);
  const details = o.details === undefined ? {} : asObject(o.details, `${where}.details`);
  return {
    id: parseString(o.id, `${where}.id`),
    seq: parseInt64(o.seq, `${where}.seq`),
    timeMs: parseTimestamp(o.time, `${where}.time`),
    actor: parseString(o.actor, `${where}.actor`),
    action: parseString(o.action, `${where}.action`),
    target: parseString(o.target, `${where}.target`),
    orgId: orgId === "" ? undefined : orgId,
    requestId: parseString(field(o, "requestId", "request_id"), `${where}.requestId`),
    details: details as JsonObject,
    prevHash: parseString(field(o, "prevHash", "prev_hash"), `${where}.prevHash`),
    hash: parseString(o.hash, `${where}.hash`),
    canonical: parseBytes(o.canonical, `${where}.canonical`),
  };
}

function parseCheckpoint(o: Record<string, unknown>, where: string): AuditCheckpointRecord {
  const created = field(o, "createTime", "create_time");
  return {
    seq: parseInt64(o.seq, `${where}.seq`),
    hash: parseString(o.hash, `${where}.hash`),
    signature: parseString(o.signature, `${where}.signature`),
    createdAtMs: created === undefined ? 0 : parseTimestamp(created, `${where}.createTime`),
  };
}

/** Splits concatenated JSON objects (one per line, or pretty-printed) into their texts. */
function splitObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      if (depth === 0) throw new ExportFormatError(`unexpected string outside a message at offset ${i}`);
      inString = true;
    } else if (c === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}") {
      depth--;
      if (depth < 0) throw new ExportFormatError(`unbalanced "}" at offset ${i}`);
      if (depth === 0) out.push(text.slice(start, i + 1));
    } else if (depth === 0 && !/\s/.test(c)) {
      throw new ExportFormatError(`unexpected character outside a message at offset ${i}`);
    }
  }
  if (depth !== 0 || inString) throw new ExportFormatError("the file ends inside a message");
  return out;
}

/** Parses an export file. @throws ExportFormatError naming the message that is malformed. */
export function parseExportFile(text: string): AuditExport {
  let header: AuditExportHeader | undefined;
  const events: AuditEventRecord[] = [];
  const checkpoints: AuditCheckpointRecord[] = [];
  splitObjects(text).forEach((raw, index) => {
    const where = `message ${index + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      throw new ExportFormatError(`${where}: not JSON`, { cause: e });
    }
    const msg = asObject(parsed, where);
    if (msg.header !== undefined) {
      if (index !== 0) throw new ExportFormatError(`${where}: the header must be the first message`);
      const h = asObject(msg.header, `${where}.header`);
      const exportTime = field(h, "exportTime", "export_time");
      header = {
        startSeq: parseInt64(field(h, "startSeq", "start_seq"), `${where}.header.startSeq`),
        endSeq: parseInt64(field(h, "endSeq", "end_seq"), `${where}.header.endSeq`),
        anchorHash: parseString(field(h, "anchorHash", "anchor_hash"), `${where}.header.anchorHash`),
        jwks: parseString(h.jwks, `${where}.header.jwks`),
        exportTimeMs: exportTime === undefined ? 0 : parseTimestamp(exportTime, `${where}.header.exportTime`),
      };
    } else if (msg.event !== undefined) {
      if (checkpoints.length > 0) throw new ExportFormatError(`${where}: events must come before checkpoints`);
      events.push(parseEvent(asObject(msg.event, `${where}.event`), `${where}.event`));
    } else if (msg.checkpoint !== undefined) {
      checkpoints.push(parseCheckpoint(asObject(msg.checkpoint, `${where}.checkpoint`), `${where}.checkpoint`));
    } else {
      throw new ExportFormatError(`${where}: expected one of header, event, checkpoint`);
    }
  });
  if (header === undefined) throw new ExportFormatError("the export has no header");
  return { header, events, checkpoints };
}

function eventJson(e: AuditEventRecord): Record<string, unknown> {
  return {
    id: e.id,
    seq: String(e.seq),
    time: timestampJson(e.timeMs),
    actor: e.actor,
    action: e.action,
    target: e.target,
    ...(e.orgId === undefined || e.orgId === "" ? {} : { orgId: e.orgId }),
    requestId: e.requestId,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
    canonical: btoa(Array.from(e.canonical, (b) => String.fromCharCode(b)).join("")),
  };
}

/** The messages of an export in protobuf JSON form, in stream order. */
export function exportMessagesJson(doc: AuditExport): Record<string, unknown>[] {
  return [
    {
      header: {
        startSeq: String(doc.header.startSeq),
        endSeq: String(doc.header.endSeq),
        anchorHash: doc.header.anchorHash,
        jwks: doc.header.jwks,
        exportTime: timestampJson(doc.header.exportTimeMs),
      },
    },
    ...doc.events.map((e) => ({ event: eventJson(e) })),
    ...doc.checkpoints.map((c) => ({
      checkpoint: { seq: String(c.seq), hash: c.hash, signature: c.signature, createTime: timestampJson(c.createdAtMs) },
    })),
  ];
}

/** The export as a JSON Lines file. */
export function formatExportFile(doc: AuditExport): string {
  return exportMessagesJson(doc)
    .map((m) => JSON.stringify(m))
    .join("\n")
    .concat("\n");
}
