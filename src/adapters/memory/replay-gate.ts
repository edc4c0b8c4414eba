/** In-process replay gate for the embedded single-process mode: same semantics as Redis; nonces and epoch in a ledger. */
import type { Clock } from "../../domain/clock.js";
import { gcra, type AdmitOutcome, type AdmitRequest, type ReplayStore } from "../../domain/verify/index.js";

/** How many writes between sweeps of expired entries. */
const SWEEP_EVERY = 1024;

/**
 * Where the gate keeps what a restart must not lose: consumed nonces and the epoch. The in-memory ledger
 * loses both with the process; the SQL ledger (adapters/sql/replay-ledger.ts) keeps them in the embedded
 * database, so a restarted development process opens no refusal window.
 */
export interface ReplayLedger {
  /** Stores the epoch unless one exists; returns the epoch in force. */
  initEpoch(epochMs: number): Promise<number>;
  /**
   * Consumes `key` until expiresAtMs; false when it is already consumed and not expired. Must decide
   * atomically: two concurrent calls for one key never both return true. Failures throw (fail closed).
   */
  consumeNonce(key: string, nowMs: number, expiresAtMs: number): Promise<boolean>;
}

/** The ledger of a process with no durable store: nonces and the epoch in memory. */
export class InMemoryReplayLedger implements ReplayLedger {
  private epoch: number | undefined;
  private readonly nonces = new Map<string, number>();
  private writes = 0;

  async initEpoch(epochMs: number): Promise<number> {
    this.epoch ??= epochMs;
    return this.epoch;
  }

  async consumeNonce(key: string, nowMs: number, expiresAtMs: number): Promise<boolean> {
    const stored = this.nonces.get(key);
    if (stored !== undefined && stored > nowMs) return false;
    this.nonces.set(key, expiresAtMs);
    if (++this.writes % SWEEP_EVERY === 0) {
      for (const [k, exp] of this.nonces) if (exp <= nowMs) this.nonces.delete(k);
    }
    return true;
  }
}

interface Expiring<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

/**
 * Rate-limit state, agent versions and proposals in maps (a restart resets limits and reloads versions, which
 * is safe); nonces and the epoch in the ledger. The epoch is set by initEpoch or, like the Redis store after a
 * flush, by the first admit. Not shared between processes: development and single-process use only.
 */
export class MemoryReplayGate implements ReplayStore {
  private epoch: number | undefined;
  private readonly versions = new Map<string, number>();
  private readonly tats = new Map<string, number>();
  private readonly proposals = new Map<string, Expiring<string>>();
  private writes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ledger: ReplayLedger = new InMemoryReplayLedger(),
  ) {}

  /** The epoch in force (undefined until initEpoch or the first admit). */
  get epochMs(): number | undefined {
    return this.epoch;
  }

  async initEpoch(epochMs: number): Promise<number> {
    this.epoch = await this.ledger.initEpoch(epochMs);
    return this.epoch;
  }

  async admit(r: AdmitRequest): Promise<AdmitOutcome> {
    const epoch = this.epoch ?? (await this.initEpoch(r.nowMs));
    const refused = this.checkAndCharge(r, epoch);
    if (refused !== undefined) return refused;
    // Limits are charged before the nonce is consumed, as in the Redis script (a replay has been charged).
    const first = await this.ledger.consumeNonce(`${r.agentId}:${r.jti}`, r.nowMs, r.nowMs + r.nonceTtlMs);
    return first ? { outcome: "admitted" } : { outcome: "replay" };
  }

  /**
   * Caller limit, version, epoch and agent limit, in the Redis gate's order, synchronously (one step, no
   * interleaving); charges the limits when all pass.
   */
  private checkAndCharge(r: AdmitRequest, epoch: number): AdmitOutcome | undefined {
    const callerKey = `caller:${r.callerKey}`;
    const agentKey = `agent:${r.agentId}`;
    const caller = gcra(this.liveTat(callerKey, r.nowMs), r.nowMs, r.callerLimitPerMinute);
    if (!caller.allowed) return { outcome: "rate_limited", scope: "caller", retryAfterMs: caller.retryAfterMs };
    const stored = this.versions.get(r.agentId);
    if (stored !== r.agentStateVersion) return { outcome: "stale_state", currentVersion: stored };
    if (r.proofIatMs <= epoch + r.epochGraceMs) return { outcome: "before_epoch" };
    const agent = gcra(this.liveTat(agentKey, r.nowMs), r.nowMs, r.agentLimitPerMinute);
    if (!agent.allowed) return { outcome: "rate_limited", scope: "agent", retryAfterMs: agent.retryAfterMs };
    this.tats.set(callerKey, caller.newTat);
    this.tats.set(agentKey, agent.newTat);
    this.maybeSweep(r.nowMs);
    return undefined;
  }

  /** A stored tat that still matters (a tat in the past is the same as none). */
  private liveTat(key: string, nowMs: number): number | undefined {
    const tat = this.tats.get(key);
    return tat !== undefined && tat > nowMs ? tat : undefined;
  }

  async setAgentVersion(agentId: string, version: number): Promise<void> {
    const stored = this.versions.get(agentId);
    if (stored === undefined || version > stored) this.versions.set(agentId, version);
  }

  async putProposal(id: string, value: string, ttlMs: number): Promise<void> {
    this.proposals.set(id, { value, expiresAtMs: this.clock.nowMs() + ttlMs });
    this.maybeSweep(this.clock.nowMs());
  }

  async takeProposal(id: string): Promise<string | undefined> {
    const entry = this.proposals.get(id);
    this.proposals.delete(id);
    if (entry === undefined || entry.expiresAtMs <= this.clock.nowMs()) return undefined;
    return entry.value;
  }

  private maybeSweep(nowMs: number): void {
    if (++this.writes % SWEEP_EVERY !== 0) return;
    for (const [k, tat] of this.tats) if (tat <= nowMs) this.tats.delete(k);
    for (const [k, p] of this.proposals) if (p.expiresAtMs <= nowMs) this.proposals.delete(k);
  }
}
