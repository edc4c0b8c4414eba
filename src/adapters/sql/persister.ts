/**
 * The SQL persister: one repository file per domain module (persister-<module>.ts) composed into one unit of
 * work, the reads outside any transaction, and the audit batch appender. Its shapes structurally satisfy every
 * module's ports (OrgUnitOfWork, AgentUnitOfWork, CredentialUnitOfWork, AdminUnitOfWork, ...).
 */
import type { AuditBatchAppender, AuditEventInput, AuditReader, AuditRecorder, CheckpointStore } from "../../domain/audit/index.js";
import type { CredentialRepository, IssuerKeyRepository } from "../../domain/credentials/index.js";
import type { OrgRepository } from "../../domain/orgs/index.js";
import type { Database, Queryable } from "./database.js";
import { sqlAgentRepository, type SqlAgentRepository } from "./persister-agents.js";
import { appendAuditEvents, sqlAuditReader } from "./persister-audit.js";
import { sqlCredentialRepository, sqlIssuerKeyRepository } from "./persister-credentials.js";
import { sqlOrgRepository } from "./persister-orgs.js";
import { sqlTrustEventRepository, sqlTrustStateRepository } from "./persister-trust.js";
import type { TrustEventRepository, TrustStateRepository } from "../../domain/trust/index.js";

/** Every repository, outside any transaction (reads and single-statement writes). */
interface SqlReads {
  readonly orgs: OrgRepository;
  readonly agents: SqlAgentRepository;
  readonly issuerKeys: IssuerKeyRepository;
  readonly trustEvents: TrustEventRepository;
  readonly trustState: TrustStateRepository;
  readonly audit: AuditReader & CheckpointStore;
}

/** Every repository bound to one transaction, and the audit recorder appending just before COMMIT. */
interface SqlTx extends SqlReads {
  readonly credentials: CredentialRepository;
  readonly audit: AuditReader & CheckpointStore & AuditRecorder;
}

export interface SqlPersister {
  readonly unitOfWork: { run<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> };
  readonly read: SqlReads;
  /** For the group-commit decision writer: one statement per batch (its own transaction), same chain, same lock. */
  readonly auditAppender: AuditBatchAppender;
}

function sqlReads(q: Queryable): SqlReads {
  return {
    orgs: sqlOrgRepository(q),
    agents: sqlAgentRepository(q),
    issuerKeys: sqlIssuerKeyRepository(q),
    trustEvents: sqlTrustEventRepository(q),
    trustState: sqlTrustStateRepository(q),
    audit: sqlAuditReader(q),
  };
}

export function createSqlPersister(db: Database): SqlPersister {
  return {
    unitOfWork: {
      run<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
        return db.transaction(async (tx) => {
          const queued: AuditEventInput[] = [];
          const stores: SqlTx = {
            ...sqlReads(tx),
            credentials: sqlCredentialRepository(tx),
            audit: {
              ...sqlAuditReader(tx),
              record(event: AuditEventInput): void {
                queued.push(event);
              },
            },
          };
          const result = await fn(stores);
          // Last step before COMMIT: one statement takes the chain lock, reads the head and appends.
          await appendAuditEvents(tx, queued);
          return result;
        });
      },
    },
    read: sqlReads(db),
    auditAppender: {
      appendBatch(events: readonly AuditEventInput[]): Promise<void> {
        // One round trip: autocommit, so the batch is durable when this resolves.
        return appendAuditEvents(db, events);
      },
    },
  };
}
