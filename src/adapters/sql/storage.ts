/** Assembles the SQL repositories into the domain's UnitOfWork, ReadStores and audit append port. */
import type { AuditEventInput } from "../../domain/audit/chain.js";
import type { AuditBatchAppender, ReadStores, Stores, UnitOfWork } from "../../domain/storage.js";
import { sqlAgentRepository } from "./agent-repository.js";
import { appendAuditEvents, sqlAuditReader } from "./audit-repository.js";
import { sqlCredentialRepository } from "./credential-repository.js";
import type { Database, Queryable } from "./database.js";
import { sqlIssuerKeyRepository } from "./issuer-key-repository.js";
import { sqlOrgRepository } from "./org-repository.js";
import { sqlTrustEventRepository } from "./trust-event-repository.js";
import { sqlTrustStateRepository } from "./trust-state-repository.js";

export interface SqlStorage {
  readonly unitOfWork: UnitOfWork;
  readonly read: ReadStores;
  /** For the group-commit decision writer: one statement per batch (its own transaction), same chain, same lock. */
  readonly auditAppender: AuditBatchAppender;
}

function readStores(q: Queryable): ReadStores {
  return {
    orgs: sqlOrgRepository(q),
    agents: sqlAgentRepository(q),
    issuerKeys: sqlIssuerKeyRepository(q),
    trustEvents: sqlTrustEventRepository(q),
    trustState: sqlTrustStateRepository(q),
    audit: sqlAuditReader(q),
  };
}

export function createSqlStorage(db: Database): SqlStorage {
  return {
    unitOfWork: {
      run<T>(fn: (tx: Stores) => Promise<T>): Promise<T> {
        return db.transaction(async (tx) => {
          const queued: AuditEventInput[] = [];
          const stores: Stores = {
            ...readStores(tx),
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
    read: readStores(db),
    auditAppender: {
      appendBatch(events: readonly AuditEventInput[]): Promise<void> {
        // One round trip: autocommit, so the batch is durable when this resolves.
        return appendAuditEvents(db, events);
      },
    },
  };
}
