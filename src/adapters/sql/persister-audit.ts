/** The audit chain in SQL: reads, checkpoints, and appending events in one statement under pg_advisory_xact_lock. */
import {
  canonicalEventBytes,
  type AuditCheckpointRecord,
  type AuditEventInput,
  type AuditEventRecord,
  type AuditListFilter,
  type AuditReader,
  type ChainHead,
  type CheckpointStore,
} from "../../domain/audit/index.js";
import type { JsonObject } from "../../domain/json.js";
import type { Page } from "../../domain/paging.js";
import type { Queryable } from "./database.js";
import { decodeSeqToken, encodeToken, pageSize } from "./pagination.js";
import { optional, toBytes, toMs, toSafeInt, ts } from "./sql-values.js";

// Appends serialise on pg_advisory_xact_lock(7301001002), taken inside audit_append (migration 0003): one global order.

/** The most events range() returns in one call. */
const MAX_AUDIT_RANGE = 100_000;

const EVENT_COLUMNS = "seq, id, time, actor, action, target, org_id, request_id, details, canonical, prev_hash, hash";

interface AuditEventRow {
  seq: string;
  id: string;
  time: Date;
  actor: string;
  action: string;
  target: string;
  org_id: string | null;
  request_id: string;
  details: JsonObject;
  canonical: Uint8Array;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  seq: string;
  hash: string;
  signature: string;
  created_at: Date;
}

function toEvent(row: AuditEventRow): AuditEventRecord {
  return {
    seq: toSafeInt(row.seq),
    id: row.id,
    timeMs: toMs(row.time),
    actor: row.actor,
    action: row.action,
    target: row.target,
    orgId: optional(row.org_id),
    requestId: row.request_id,
    details: row.details,
    canonical: toBytes(row.canonical),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function toCheckpoint(row: CheckpointRow): AuditCheckpointRecord {
  return { seq: toSafeInt(row.seq), hash: row.hash, signature: row.signature, createdAtMs: toMs(row.created_at) };
}

async function readHead(q: Queryable): Promise<ChainHead | undefined> {
  const rows = await q.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  return rows[0] === undefined ? undefined : { seq: toSafeInt(rows[0].seq), hash: rows[0].hash };
}

const SEQ_MARK = Buffer.from(',"seq":1,"target":');
/** Bytes of SEQ_MARK up to the seq value, and from just after it. */
const SEQ_VALUE_AT = ',"seq":'.length;
const AFTER_SEQ_AT = ',"seq":1'.length;

/**
 * An event's canonical bytes split around its seq value: canonical(seq) = head || decimal(seq) || tail. The
 * top-level "seq" member is the last `,"seq":N,"target":` in the bytes: only the target and time strings follow
 * it, and a JSON string cannot hold an unescaped quote. (Any nested "seq" lies inside details, before it.)
 */
export function canonicalAroundSeq(input: AuditEventInput): { head: Buffer; tail: Buffer } {
  const bytes = canonicalEventBytes({ ...input, seq: 1 });
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buffer.lastIndexOf(SEQ_MARK);
  if (at < 0) throw new Error("canonical event bytes without a top-level seq");
  return { head: buffer.subarray(0, at + SEQ_VALUE_AT), tail: buffer.subarray(at + AFTER_SEQ_AT) };
}

/**
 * Appends events to the chain in one statement (the audit_append function of migration 0003): under the chain
 * lock it reads the head, assigns seq, hashes and inserts. Inside an open transaction the lock is held until
 * that COMMIT, so call it as the transaction's last step; on its own (autocommit) a batch is one round trip and
 * durable when the call resolves.
 */
export async function appendAuditEvents(q: Queryable, inputs: readonly AuditEventInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const n = inputs.length;
  const columns: unknown[][] = Array.from({ length: 10 }, () => new Array<unknown>(n));
  for (let i = 0; i < n; i++) {
    const e = inputs[i]!;
    const { head, tail } = canonicalAroundSeq(e);
    columns[0]![i] = e.id;
    columns[1]![i] = ts(e.timeMs);
    columns[2]![i] = e.actor;
    columns[3]![i] = e.action;
    columns[4]![i] = e.target;
    columns[5]![i] = e.orgId ?? null;
    columns[6]![i] = e.requestId;
    columns[7]![i] = JSON.stringify(e.details);
    columns[8]![i] = head;
    columns[9]![i] = tail;
  }
  await q.query(
    `SELECT audit_append($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::bytea[], $10::bytea[])`,
    columns,
  );
}

/** Newest first, filtered, one page. */
async function listEvents(q: Queryable, filter: AuditListFilter): Promise<Page<AuditEventRecord>> {
  const size = pageSize(filter);
  const below = decodeSeqToken(filter.pageToken);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: (n: number) => string, value: unknown): void => {
    params.push(value);
    where.push(clause(params.length));
  };
  if (filter.orgId !== undefined) add((n) => `org_id = $${n}`, filter.orgId);
  if (filter.actor !== undefined) add((n) => `actor = $${n}`, filter.actor);
  if (filter.action !== undefined) add((n) => `action = $${n}`, filter.action);
  if (filter.target !== undefined) add((n) => `target = $${n}`, filter.target);
  if (filter.startMs !== undefined) add((n) => `time >= $${n}`, ts(filter.startMs));
  if (filter.endMs !== undefined) add((n) => `time < $${n}`, ts(filter.endMs));
  if (below !== undefined) add((n) => `seq < $${n}`, below);
  params.push(size + 1);
  const rows = await q.query<AuditEventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, size).map(toEvent);
  const last = items[items.length - 1];
  return { items, nextPageToken: rows.length > size && last !== undefined ? encodeToken({ s: last.seq }) : undefined };
}

export function sqlAuditReader(q: Queryable): AuditReader & CheckpointStore {
  return {
    list: (filter) => listEvents(q, filter),

    async range(startSeq: number, endSeq: number): Promise<AuditEventRecord[]> {
      if (endSeq - startSeq + 1 > MAX_AUDIT_RANGE) throw new RangeError(`at most ${MAX_AUDIT_RANGE} events per range`);
      const rows = await q.query<AuditEventRow>(
        `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
        [startSeq, endSeq],
      );
      return rows.map(toEvent);
    },

    head(): Promise<ChainHead | undefined> {
      return readHead(q);
    },

    async checkpointsCovering(startSeq: number, endSeq: number): Promise<AuditCheckpointRecord[]> {
      const rows = await q.query<CheckpointRow>(
        "SELECT seq, hash, signature, created_at FROM audit_checkpoints WHERE seq BETWEEN $1 AND $2 ORDER BY seq",
        [startSeq, endSeq],
      );
      return rows.map(toCheckpoint);
    },

    async latestCheckpoint(): Promise<AuditCheckpointRecord | undefined> {
      const rows = await q.query<CheckpointRow>(
        "SELECT seq, hash, signature, created_at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
      );
      return rows[0] === undefined ? undefined : toCheckpoint(rows[0]);
    },

    async insertCheckpoint(c: AuditCheckpointRecord): Promise<void> {
      await q.query(
        "INSERT INTO audit_checkpoints (seq, hash, signature, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (seq) DO NOTHING",
        [c.seq, c.hash, c.signature, ts(c.createdAtMs)],
      );
    },
  };
}
