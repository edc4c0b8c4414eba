/** Ports the issuer consumes: the issuer key records (SQL table issuer_keys; in-memory for tests). */
import type { JWK } from "jose";
import type { SignerAlgorithm } from "./signer.js";

export type IssuerKeyStatus = "active" | "retired" | "revoked";

export interface IssuerKeyRecord {
  readonly kid: string;
  readonly alg: SignerAlgorithm;
  /** Public members only. */
  readonly publicJwk: JWK;
  readonly status: IssuerKeyStatus;
  readonly createdAtMs: number;
  readonly retiredAtMs?: number;
  readonly revokedAtMs?: number;
}

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
