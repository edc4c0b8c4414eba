/** The trust repositories in SQL: telemetry events (trust_events, with the decision lookup against audit_events) and
 * the per-agent trust state (trust_state, optimistic versioning). */
import { DomainError } from "../../domain/errors.js";
import type { JsonObject } from "../../domain/json.js";
import type { Queryable } from "./database.js";
import { isUniqueViolation, optional, toMs, toSafeInt, ts } from "./sql-values.js";
import type { TrustEventRecord, TrustEventRepository, TrustStateRecord, TrustStateRepository, VerifyDecisionQuery } from "../../domain/trust/index.js";

/** The most events listForAgent returns, whatever the caller asks. */
const MAX_TRUST_EVENTS_PER_READ = 1000;

interface TrustEventRow {
  id: string;
  agent_id: string;
  reporter: string;
  reporter_kind: string;
  event_type: string;
  success: boolean;
  latency_ms: number | null;
  sla_met: boolean | null;
  dispute: boolean;
  raw: JsonObject;
  decision_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
}

function toRecord(row: TrustEventRow): TrustEventRecord {
  return {
    id: row.id,
    agentId: row.agent_id,
    reporter: row.reporter,
    reporterKind: row.reporter_kind,
    eventType: row.event_type,
    success: row.success,
    latencyMs: optional(row.latency_ms),
    slaMet: optional(row.sla_met),
    dispute: row.dispute,
    raw: row.raw,
    decisionId: optional(row.decision_id),
    occurredAtMs: toMs(row.occurred_at),
    recordedAtMs: toMs(row.recorded_at),
  };
}

export function sqlTrustEventRepository(q: Queryable): TrustEventRepository {
  return {
    async insert(e: TrustEventRecord): Promise<void> {
      try {
        await q.query(
          `INSERT INTO trust_events (id, agent_id, reporter, reporter_kind, event_type, success, latency_ms, sla_met,
             dispute, raw, decision_id, occurred_at, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [
            e.id,
            e.agentId,
            e.reporter,
            e.reporterKind,
            e.eventType,
            e.success,
            e.latencyMs ?? null,
            e.slaMet ?? null,
            e.dispute,
            JSON.stringify(e.raw),
            e.decisionId ?? null,
            ts(e.occurredAtMs),
            ts(e.recordedAtMs),
          ],
        );
      } catch (err) {
        if (isUniqueViolation(err, "trust_events_decision_reporter_key")) {
          throw new DomainError("already_exists", "trust.duplicate_report", "this decision was already reported", { cause: err });
        }
        throw err;
      }
    },

    async listForAgent(agentId: string, options: { readonly limit: number; readonly sinceMs?: number }): Promise<TrustEventRecord[]> {
      const limit = Math.max(0, Math.min(Math.trunc(options.limit), MAX_TRUST_EVENTS_PER_READ));
      const cols = `id, agent_id, reporter, reporter_kind, event_type, success, latency_ms, sla_met, dispute, raw,
        decision_id, occurred_at, recorded_at`;
      const rows =
        options.sinceMs === undefined
          ? await q.query<TrustEventRow>(
              `SELECT ${cols} FROM trust_events WHERE agent_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2`,
              [agentId, limit],
            )
          : await q.query<TrustEventRow>(
              `SELECT ${cols} FROM trust_events WHERE agent_id = $1 AND occurred_at >= $2
               ORDER BY occurred_at DESC, id DESC LIMIT $3`,
              [agentId, ts(options.sinceMs), limit],
            );
      return rows.map(toRecord);
    },

    async isVerifyDecision(query: VerifyDecisionQuery): Promise<boolean> {
      const rows = await q.query(
        "SELECT 1 FROM audit_events WHERE id = $1 AND action = 'verify.decision' AND target = $2 AND actor = $3",
        [query.decisionId, query.agentId, query.relyingParty],
      );
      return rows.length > 0;
    },
  };
}

interface TrustStateRow {
  agent_id: string;
  model_version: string;
  state: JsonObject;
  version: string;
  updated_at: Date;
}

export function sqlTrustStateRepository(q: Queryable): TrustStateRepository {
  return {
    async get(agentId: string): Promise<TrustStateRecord | undefined> {
      const rows = await q.query<TrustStateRow>(
        "SELECT agent_id, model_version, state, version, updated_at FROM trust_state WHERE agent_id = $1",
        [agentId],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return {
        agentId: row.agent_id,
        modelVersion: row.model_version,
        state: row.state,
        version: toSafeInt(row.version),
        updatedAtMs: toMs(row.updated_at),
      };
    },

    async put(record: Omit<TrustStateRecord, "version">, expectedVersion: number): Promise<boolean> {
      const params = [record.agentId, record.modelVersion, JSON.stringify(record.state), ts(record.updatedAtMs)];
      if (expectedVersion === 0) {
        const rows = await q.query(
          `INSERT INTO trust_state (agent_id, model_version, state, version, updated_at) VALUES ($1, $2, $3, 1, $4)
           ON CONFLICT (agent_id) DO NOTHING RETURNING agent_id`,
          params,
        );
        return rows.length > 0;
      }
      const rows = await q.query(
        `UPDATE trust_state SET model_version = $2, state = $3, updated_at = $4, version = version + 1
         WHERE agent_id = $1 AND version = $5 RETURNING agent_id`,
        [...params, expectedVersion],
      );
      return rows.length > 0;
    },
  };
}
