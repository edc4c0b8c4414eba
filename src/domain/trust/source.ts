/** Port for reading an agent's stored TrustState, and a short-lived bounded cache over it for the Verify path. */
import type { Clock } from "../clock.js";
import type { TrustState } from "./state.js";

export interface TrustStateSource {
  /** The agent's stored state; undefined when it has no events. */
  load(agentId: string): Promise<TrustState | undefined>;
}

/**
 * Caches trust states for ttlMs (default 5 s) so the steady-state Verify path makes no database round trip;
 * a score is at most ttlMs behind the newest report (the decay itself is applied at read time, always now).
 */
export class CachedTrustStateSource implements TrustStateSource {
  private readonly entries = new Map<string, { state: TrustState | undefined; atMs: number }>();

  constructor(
    private readonly source: TrustStateSource,
    private readonly clock: Clock,
    private readonly ttlMs = 5000,
    private readonly maxEntries = 10_000,
  ) {}

  async load(agentId: string): Promise<TrustState | undefined> {
    const hit = this.entries.get(agentId);
    if (hit !== undefined && this.clock.nowMs() - hit.atMs < this.ttlMs) return hit.state;
    return this.reload(agentId);
  }

  /** Reads the stored state bypassing the cache, and caches it. */
  async reload(agentId: string): Promise<TrustState | undefined> {
    const now = this.clock.nowMs();
    const state = await this.source.load(agentId);
    this.entries.delete(agentId);
    this.entries.set(agentId, { state, atMs: now });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return state;
  }

  /** Forgets one agent (after a report on this replica). */
  invalidate(agentId: string): void {
    this.entries.delete(agentId);
  }
}
