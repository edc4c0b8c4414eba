/** Ports the orgs module consumes: its repository, the transaction it writes in, and the audit recorder. */
import type { AuditRecorder } from "../audit/index.js";
import type { Page, PageRequest } from "../paging.js";
import type { Org } from "./model.js";

export interface OrgRepository {
  /** Names are unique ignoring case: a taken name is already_exists "org.name_taken". */
  insert(org: Org): Promise<void>;
  get(id: string): Promise<Org | undefined>;
  /** Oldest first, by (createdAt, id). */
  list(page: PageRequest): Promise<Page<Org>>;
}

/** The stores an org change uses inside one transaction. */
interface OrgTx {
  readonly orgs: OrgRepository;
  readonly audit: AuditRecorder;
}

export interface OrgUnitOfWork {
  /** Runs fn in one transaction; events recorded through tx.audit are appended to the chain just before COMMIT. */
  run<T>(fn: (tx: OrgTx) => Promise<T>): Promise<T>;
}

/** Reads outside any transaction. */
export interface OrgReads {
  readonly orgs: OrgRepository;
}
