/** The credentials module's repositories in SQL: issuer key records (issuer_keys) and issued credentials (credentials). */
import type { JWK } from "jose";
import type {
  CredentialRepository,
  IssuedCredentialRecord,
  IssuerKeyRecord,
  IssuerKeyRepository,
  IssuerKeyStatus,
} from "../../domain/credentials/index.js";
import type { Queryable } from "./database.js";
import { toMs, toOptionalMs, ts } from "./sql-values.js";
import type { TokenAlg } from "../../domain/tokens/index.js";

interface IssuerKeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  status: string;
  created_at: Date;
  retired_at: Date | null;
  revoked_at: Date | null;
}

function toRecord(row: IssuerKeyRow): IssuerKeyRecord {
  const retiredAtMs = toOptionalMs(row.retired_at);
  const revokedAtMs = toOptionalMs(row.revoked_at);
  return {
    kid: row.kid,
    alg: row.alg as TokenAlg,
    publicJwk: row.public_jwk,
    status: row.status as IssuerKeyStatus,
    createdAtMs: toMs(row.created_at),
    ...(retiredAtMs === undefined ? {} : { retiredAtMs }),
    ...(revokedAtMs === undefined ? {} : { revokedAtMs }),
  };
}

export function sqlIssuerKeyRepository(q: Queryable): IssuerKeyRepository {
  return {
    async list(): Promise<IssuerKeyRecord[]> {
      const rows = await q.query<IssuerKeyRow>(
        "SELECT kid, alg, public_jwk, status, created_at, retired_at, revoked_at FROM issuer_keys ORDER BY created_at, kid",
      );
      return rows.map(toRecord);
    },

    async upsertActive(record: IssuerKeyRecord): Promise<void> {
      await q.query(
        `INSERT INTO issuer_keys (kid, alg, public_jwk, status, created_at) VALUES ($1, $2, $3, 'active', $4)
         ON CONFLICT (kid) DO UPDATE SET status = 'active', retired_at = NULL WHERE issuer_keys.status = 'retired'`,
        [record.kid, record.alg, JSON.stringify(record.publicJwk), ts(record.createdAtMs)],
      );
    },

    async retire(kid: string, atMs: number): Promise<void> {
      await q.query("UPDATE issuer_keys SET status = 'retired', retired_at = $2 WHERE kid = $1 AND status = 'active'", [kid, ts(atMs)]);
    },

    async revoke(kid: string, atMs: number): Promise<void> {
      await q.query(
        "UPDATE issuer_keys SET status = 'revoked', revoked_at = COALESCE(revoked_at, $2) WHERE kid = $1",
        [kid, ts(atMs)],
      );
    },
  };
}

export function sqlCredentialRepository(q: Queryable): CredentialRepository {
  return {
    async recordIssued(c: IssuedCredentialRecord): Promise<void> {
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
