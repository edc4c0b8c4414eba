/** The trust model's per-agent state in SQL (table trust_state), with optimistic versioning. */
import type { JsonObject } from "../../domain/audit/canonical-json.js";
import type { TrustStateRecord, TrustStateRepository } from "../../domain/storage.js";
import type { Queryable } from "./database.js";
import { toMs, toSafeInt, ts } from "./sql-values.js";

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
