/** The issuer key set: which key signs, which keys are published (active + recently retired), emergency revoke. */
import type { Clock } from "../clock.js";
import { DomainError, notFound } from "../errors.js";
import { buildJwks, publicMembers, type JwksDocument } from "./jwks.js";
import type { IssuerKeyRecord, IssuerKeyRepository } from "./ports.js";
import type { Signer } from "../keys/index.js";

interface IssuerKeySetOptions {
  readonly repository: IssuerKeyRepository;
  readonly clock: Clock;
  /** The longest credential lifetime ever configured; a retired key stays published this long. */
  readonly maxCredentialTtlSeconds: number;
  /** Extra publication time after that, covering clock skew and verification leeway (default 300 s). */
  readonly publishGraceSeconds?: number;
}

type KeySetListener = () => void;

/**
 * In-process view of the issuer keys. Published keys are the active key plus each retired key whose
 * retiredAtMs + maxCredentialTtl + grace is still in the future; a revoked key is never published.
 * Listeners (verification caches) hear about every change this replica sees: ensureActive, revoke, refresh.
 */
export class IssuerKeySet {
  private records: readonly IssuerKeyRecord[] = [];
  private fingerprint = "";
  private readonly listeners = new Set<KeySetListener>();
  private readonly publishForMs: number;

  constructor(private readonly options: IssuerKeySetOptions) {
    this.publishForMs = (options.maxCredentialTtlSeconds + (options.publishGraceSeconds ?? 300)) * 1000;
  }

  /**
   * Makes the configured signer's key the active key: records it (or reactivates it), retires any other
   * active key at now, and notifies listeners.
   * @throws DomainError failed_precondition when the key was revoked or its kid names another public key.
   */
  async ensureActive(signer: Signer): Promise<void> {
    await this.refresh();
    const existing = this.records.find((r) => r.kid === signer.kid);
    if (existing !== undefined && !samePublicKey(existing, signer)) {
      throw new DomainError(
        "failed_precondition",
        "issuer.kid_conflict",
        `issuer key ${signer.kid} is recorded with another public key`,
      );
    }
    if (existing?.status === "revoked") {
      throw new DomainError(
        "failed_precondition",
        "issuer.key_revoked",
        `issuer key ${signer.kid} has been revoked; configure a new issuer key`,
      );
    }
    const others = this.records.filter((r) => r.status === "active" && r.kid !== signer.kid);
    if (existing?.status === "active" && others.length === 0) return;
    const nowMs = this.options.clock.nowMs();
    await this.options.repository.upsertActive({
      kid: signer.kid,
      alg: signer.alg,
      publicJwk: publicMembers(signer.publicJwk),
      status: "active",
      createdAtMs: existing?.createdAtMs ?? nowMs,
    });
    for (const other of others) await this.options.repository.retire(other.kid, nowMs);
    await this.refresh();
  }

  /** Reloads the records from the repository (another replica rotated or revoked); notifies on change. */
  async refresh(): Promise<void> {
    const records = await this.options.repository.list();
    const fingerprint = fingerprintOf(records);
    this.records = records;
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;
    this.notify();
  }

  /**
   * Emergency revoke: the key stops being published and trusted at once on this replica (listeners flush
   * their caches); other replicas follow on refresh().
   * @throws DomainError not_found for an unknown kid.
   */
  async revoke(kid: string): Promise<void> {
    if (!this.records.some((r) => r.kid === kid)) {
      await this.refresh();
      if (!this.records.some((r) => r.kid === kid)) throw notFound("issuer.key_not_found", "issuer key");
    }
    await this.options.repository.revoke(kid, this.options.clock.nowMs());
    await this.refresh();
  }

  /** Subscribes to key-set changes; returns the unsubscribe function. */
  onChange(listener: KeySetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The key new tokens should be signed with, if any. */
  active(): IssuerKeyRecord | undefined {
    return this.records.find((r) => r.status === "active");
  }

  /** Every recorded key, any status (for admin views). */
  all(): readonly IssuerKeyRecord[] {
    return this.records;
  }

  /** The JWKS of every recorded key, any status: audit exports check checkpoints signed by retired keys with it. */
  everyKeyJwks(): JwksDocument {
    return buildJwks(this.records);
  }

  /** Keys relying parties may verify with, now: active first, then retired, newest first. */
  published(): IssuerKeyRecord[] {
    const nowMs = this.options.clock.nowMs();
    return this.records
      .filter((r) => this.isPublished(r, nowMs))
      .sort((a, b) => rank(a) - rank(b) || (b.retiredAtMs ?? 0) - (a.retiredAtMs ?? 0));
  }

  /** The published key with this kid, or undefined (unknown, revoked, or retired too long ago). */
  findPublished(kid: string): IssuerKeyRecord | undefined {
    const record = this.records.find((r) => r.kid === kid);
    return record !== undefined && this.isPublished(record, this.options.clock.nowMs()) ? record : undefined;
  }

  /**
   * Guard for the issuing path: a revoked (or unrecorded) key must not sign. A retired key still signs on a
   * replica that has not restarted yet during a rolling rotation; its tokens stay verifiable while published.
   * @throws DomainError unavailable "signer unavailable" otherwise.
   */
  assertCanSign(kid: string): void {
    const record = this.records.find((r) => r.kid === kid);
    if (record === undefined || !this.isPublished(record, this.options.clock.nowMs())) {
      throw new DomainError("unavailable", "issuer.key_not_signable", "signer unavailable", {
        cause: new Error(`issuer key ${kid} is ${record?.status ?? "not recorded"}`),
      });
    }
  }

  private isPublished(record: IssuerKeyRecord, nowMs: number): boolean {
    if (record.status === "active") return true;
    if (record.status === "revoked") return false;
    return record.retiredAtMs !== undefined && record.retiredAtMs + this.publishForMs > nowMs;
  }

  private notify(): void {
    const errors: unknown[] = [];
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "issuer key-set listener failed");
  }
}

function rank(record: IssuerKeyRecord): number {
  return record.status === "active" ? 0 : 1;
}

function fingerprintOf(records: readonly IssuerKeyRecord[]): string {
  return records
    .map((r) => `${r.kid}:${r.status}:${r.retiredAtMs ?? ""}:${r.revokedAtMs ?? ""}`)
    .sort()
    .join("|");
}

function samePublicKey(record: IssuerKeyRecord, signer: Signer): boolean {
  const a = publicMembers(record.publicJwk);
  const b = publicMembers(signer.publicJwk);
  return a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y;
}
