/** Issued credentials in SQL (table credentials). */
import type { CredentialRepository, IssuedCredential } from "../../domain/storage.js";
import type { Queryable } from "./database.js";
import { ts } from "./sql-values.js";

export function sqlCredentialRepository(q: Queryable): CredentialRepository {
  return {
    async recordIssued(c: IssuedCredential): Promise<void> {
      await q.query("INSERT INTO credentials (jti, agent_id, kid, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)", [
        c.jti,
        c.agentId,
        c.kid,
        ts(c.issuedAtMs),
        ts(c.expiresAtMs),
      ]);
    },
  };
}
