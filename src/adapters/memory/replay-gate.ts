/** In-process replay gate for the embedded single-process mode: same semantics as Redis, epoch = first use. */
import type { Clock } from "../../domain/clock.js";
import { gcra, type AdmitOutcome, type AdmitRequest, type ReplayStore } from "../../domain/verify/index.js";

interface Expiring<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

/** How many writes between sweeps of expired entries. */
const SWEEP_EVERY = 1024;

/**
 * Nonces, rate-limit state, agent versions and proposals in maps. The epoch is set by initEpoch or, like the
 * Redis store after a flush, by the first admit (in the embedded mode: this process's start). Not shared
 * between processes: development and single-process use only.
 */
export class MemoryReplayGate implements ReplayStore {
  private epoch: number | undefined;
  private readonly versions = new Map<string, number>();
  private readonly nonces = new Map<string, number>();
  private readonly tats = new Map<string, number>();
  private readonly proposals = new Map<string, Expiring<string>>();
  private writes = 0;

  constructor(private readonly clock: Clock) {}

  /** The epoch in force (undefined until initEpoch or the first admit). */
  get epochMs(): number | undefined {
    return this.epoch;
  }

  async initEpoch(epochMs: number): Promise<number> {
    this.epoch ??= epochMs;
    return this.epoch;
  }

  async admit(r: AdmitRequest): Promise<AdmitOutcome> {
    return this.admitNow(r);
  }

  private admitNow(r: AdmitRequest): AdmitOutcome {
    this.epoch ??= r.nowMs;
    const stored = this.versions.get(r.agentId);
    if (stored !== r.agentStateVersion) return { outcome: "stale_state", currentVersion: stored };
    if (r.proofIatMs <= this.epoch + r.epochGraceMs) return { outcome: "before_epoch" };
    const callerKey = `caller:${r.callerKey}`;
    const agentKey = `agent:${r.agentId}`;
    const caller = gcra(this.liveTat(callerKey, r.nowMs), r.nowMs, r.callerLimitPerMinute);
    if (!caller.allowed) return { outcome: "rate_limited", scope: "caller", retryAfterMs: caller.retryAfterMs };
    const agent = gcra(this.liveTat(agentKey, r.nowMs), r.nowMs, r.agentLimitPerMinute);
    if (!agent.allowed) return { outcome: "rate_limited", scope: "agent", retryAfterMs: agent.retryAfterMs };
    this.tats.set(callerKey, caller.newTat);
    this.tats.set(agentKey, agent.newTat);
    this.maybeSweep(r.nowMs);
    const nonceKey = `${r.agentId}:${r.jti}`;
    const expiresAt = this.nonces.get(nonceKey);
    if (expiresAt !== undefined && expiresAt > r.nowMs) return { outcome: "replay" };
    this.nonces.set(nonceKey, r.nowMs + r.nonceTtlMs);
    return { outcome: "admitted" };
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
    for (const [k, exp] of this.nonces) if (exp <= nowMs) this.nonces.delete(k);
    for (const [k, tat] of this.tats) if (tat <= nowMs) this.tats.delete(k);
    for (const [k, p] of this.proposals) if (p.expiresAtMs <= nowMs) this.proposals.delete(k);
  }
}
