/** The audit chain in SQL: reads, checkpoints, and appending sealed events under pg_advisory_xact_lock. */
import type { JsonObject } from "../../domain/audit/canonical-json.js";
import { sealEvents, type AuditCheckpointRecord, type AuditEventInput, type AuditEventRecord, type ChainHead } from "../../domain/audit/chain.js";
import type { Page } from "../../domain/model.js";
import type { AuditListFilter, AuditReader } from "../../domain/storage.js";
import type { Queryable } from "./database.js";
import { decodeSeqToken, encodeToken, pageSize } from "./pagination.js";
import { optional, toBytes, toMs, toSafeInt, ts } from "./sql-values.js";

/** pg_advisory_xact_lock key serialising appends to the chain (one global order). */
export const AUDIT_CHAIN_LOCK_KEY = 7_301_001_002;

/** The most events range() returns in one call. */
export const MAX_AUDIT_RANGE = 100_000;

const EVENT_COLUMNS = "seq, id, time, actor, action, target, org_id, request_id, details, canonical, prev_hash, hash";
const ROWS_PER_INSERT = 1000;

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

/**
 * Appends events to the chain inside the open transaction `tx`: takes the chain lock (held until COMMIT),
 * reads the head, seals and inserts. Call it as the transaction's last step so the lock is held briefly.
 */
export async function appendAuditEvents(tx: Queryable, inputs: readonly AuditEventInput[]): Promise<AuditEventRecord[]> {
  if (inputs.length === 0) return [];
  await tx.query("SELECT pg_advisory_xact_lock($1)", [AUDIT_CHAIN_LOCK_KEY]);
  const sealed = sealEvents(await readHead(tx), inputs);
  for (let start = 0; start < sealed.length; start += ROWS_PER_INSERT) {
    const chunk = sealed.slice(start, start + ROWS_PER_INSERT);
    const params: unknown[] = [];
    const tuples = chunk.map((e) => {
      const base = params.length;
      params.push(
        e.seq,
        e.id,
        ts(e.timeMs),
        e.actor,
        e.action,
        e.target,
        e.orgId ?? null,
        e.requestId,
        JSON.stringify(e.details),
        Buffer.from(e.canonical.buffer, e.canonical.byteOffset, e.canonical.byteLength),
        e.prevHash,
        e.hash,
      );
      return `(${Array.from({ length: 12 }, (_, i) => `$${base + i + 1}`).join(", ")})`;
    });
    await tx.query(`INSERT INTO audit_events (${EVENT_COLUMNS}) VALUES ${tuples.join(", ")}`, params);
  }
  return sealed;
}

export function sqlAuditReader(q: Queryable): AuditReader {
  return {
    async list(filter: AuditListFilter): Promise<Page<AuditEventRecord>> {
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
    },

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
