/** Ports the admin module consumes: the transaction that records an issued admin token in the audit log. */
import type { AuditRecorder } from "../audit/index.js";

interface AdminAuditTx {
  readonly audit: AuditRecorder;
}

export interface AdminUnitOfWork {
  /** Runs fn in one transaction; events recorded through tx.audit are appended to the chain just before COMMIT. */
  run<T>(fn: (tx: AdminAuditTx) => Promise<T>): Promise<T>;
}
