import type { IssuerKeyRecord, IssuerKeyRepository } from "../../domain/credentials/index.js";
/** In-memory IssuerKeyRepository for tests and the single-process embedded setup (state is not shared). */

export class MemoryIssuerKeyRepository implements IssuerKeyRepository {
  private readonly records = new Map<string, IssuerKeyRecord>();

  async list(): Promise<IssuerKeyRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  async upsertActive(record: IssuerKeyRecord): Promise<void> {
    const existing = this.records.get(record.kid);
    if (existing?.status === "revoked") return;
    this.records.set(record.kid, {
      kid: record.kid,
      alg: record.alg,
      publicJwk: { ...record.publicJwk },
      status: "active",
      createdAtMs: existing?.createdAtMs ?? record.createdAtMs,
    });
  }

  async retire(kid: string, atMs: number): Promise<void> {
    const existing = this.records.get(kid);
    if (existing?.status !== "active") return;
    this.records.set(kid, { ...existing, status: "retired", retiredAtMs: atMs });
  }

  async revoke(kid: string, atMs: number): Promise<void> {
    const existing = this.records.get(kid);
    if (existing === undefined || existing.status === "revoked") return;
    this.records.set(kid, { ...existing, status: "revoked", revokedAtMs: atMs });
  }
}
