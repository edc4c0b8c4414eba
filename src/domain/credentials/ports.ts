/** Ports the credentials module consumes: issuer key records, issued-credential records, its transaction. */
import type { JWK } from "jose";
import type { AuditRecorder } from "../audit/index.js";
import type { TokenAlg } from "../tokens/index.js";

export type IssuerKeyStatus = "active" | "retired" | "revoked";

export interface IssuerKeyRecord {
  readonly kid: string;
  readonly alg: TokenAlg;
  /** Public members only. */
  readonly publicJwk: JWK;
  readonly status: IssuerKeyStatus;
  readonly createdAtMs: number;
  readonly retiredAtMs?: number;
  readonly revokedAtMs?: number;
}

/** The issuer key records (SQL table issuer_keys; in-memory for tests). */
export interface IssuerKeyRepository {
  /** Every key ever recorded, any status. */
  list(): Promise<IssuerKeyRecord[]>;
  /**
   * Inserts the key as active, or marks an existing retired key active again (retiredAtMs cleared). Never
   * reactivates a revoked key: a revoked kid stays revoked (the caller checks first). Other keys are untouched.
   */
  upsertActive(record: IssuerKeyRecord): Promise<void>;
  /** Marks an active key retired at `atMs`; no-op for a retired or revoked key. */
  retire(kid: string, atMs: number): Promise<void>;
  /** Marks a key revoked at `atMs` whatever its status (idempotent: keeps the first revokedAtMs). */
  revoke(kid: string, atMs: number): Promise<void>;
}

/** The row kept for every credential issued (the token itself is never stored). */
export interface IssuedCredentialRecord {
  readonly jti: string;
  readonly agentId: string;
  readonly kid: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

export interface CredentialRepository {
  recordIssued(credential: IssuedCredentialRecord): Promise<void>;
}

/** The stores recording an issued credential uses inside the caller's transaction. */
export interface CredentialTx {
  readonly credentials: CredentialRepository;
  readonly audit: AuditRecorder;
}

/** One transaction of its own (renewals and admin issuing). */
export interface CredentialUnitOfWork {
  run<T>(fn: (tx: CredentialTx) => Promise<T>): Promise<T>;
}
