/** Bounded in-process cache of AgentState, loaded through a port, invalidated by the bus, never older than a bound. */
import { systemClock, type Clock } from "../clock.js";
import type { AgentState } from "../model.js";
import type { Invalidation, InvalidationBus, InvalidationSubscription } from "./invalidation.js";
import type { AgentStates, AgentVersionSink } from "./ports.js";

/** Reads an agent's current state from the database (the registry's storage). */
export interface AgentStateLoader {
  load(agentId: string): Promise<AgentState | undefined>;
}


export interface AgentStateCacheOptions {
  /** Most agents kept (least recently used are dropped); default 10 000. */
  readonly maxEntries?: number;
  /**
   * AGENT_STATE_MAX_STALENESS_SECONDS: a cached state older than this is read again from the database, so a
   * change reaches this replica within the bound even when every invalidation (version in Redis, pub/sub) was
   * lost. Default 5 s.
   */
  readonly maxStalenessMs?: number;
  readonly clock?: Clock;
}

interface Entry {
  readonly state: AgentState;
  readonly loadedAtMs: number;
}

/**
 * Agent states by id, least recently used dropped past maxEntries. Only found agents are cached. A load
 * in progress is shared by concurrent callers; an invalidation during a load discards its result.
 */
export class AgentStateCache implements AgentStates {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<AgentState | undefined>>();
  private readonly maxEntries: number;
  private readonly maxStalenessMs: number;
  private readonly clock: Clock;
  /** Increases on every invalidation, so a load that raced with one is not cached. */
  private generation = 0;

  constructor(
    private readonly loader: AgentStateLoader,
    private readonly versions: AgentVersionSink,
    options: AgentStateCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxStalenessMs = options.maxStalenessMs ?? 5_000;
    this.clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached state while it is younger than the staleness bound, else the state loaded from the database. */
  async get(agentId: string): Promise<AgentState | undefined> {
    const cached = this.entries.get(agentId);
    if (cached !== undefined) {
      this.entries.delete(agentId);
      if (this.clock.nowMs() - cached.loadedAtMs < this.maxStalenessMs) {
        this.entries.set(agentId, cached);
        return cached.state;
      }
    }
    return this.load(agentId);
  }

  /**
   * Loads from the database bypassing the cache (after the gate answered stale_state, or when a token is
   * bound to something the cached state does not know), publishes the version to the shared store, caches it.
   */
  async reload(agentId: string): Promise<AgentState | undefined> {
    this.entries.delete(agentId);
    return this.load(agentId);
  }

  private load(agentId: string): Promise<AgentState | undefined> {
    const inFlight = this.loading.get(agentId);
    if (inFlight !== undefined) return inFlight;
    const generation = this.generation;
    const loadedAtMs = this.clock.nowMs();
    const promise = (async () => {
      try {
        const state = await this.loader.load(agentId);
        if (state === undefined) return undefined;
        await this.versions.setAgentVersion(agentId, state.stateVersion);
        if (generation === this.generation) this.put({ state, loadedAtMs });
        return state;
      } finally {
        this.loading.delete(agentId);
      }
    })();
    this.loading.set(agentId, promise);
    return promise;
  }

  private put(entry: Entry): void {
    this.entries.delete(entry.state.agentId);
    this.entries.set(entry.state.agentId, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Drops one agent (any version older than `version`, or all when undefined). */
  invalidate(agentId: string, version?: number): void {
    const cached = this.entries.get(agentId);
    if (cached !== undefined && (version === undefined || cached.state.stateVersion < version)) this.entries.delete(agentId);
    this.generation++;
  }

  /** Drops everything (on every bus (re)subscribe). */
  flush(): void {
    this.entries.clear();
    this.generation++;
  }

  /** Applies a bus message; `onIssuerKeys` lets the caller flush the credential-result cache. */
  apply(message: Invalidation, onIssuerKeys?: () => void): void {
    if (message.kind === "agent") this.invalidate(message.agentId, message.version);
    else onIssuerKeys?.();
  }

  /** Subscribes this cache to the bus: messages invalidate, every (re)subscribe flushes everything. */
  attach(bus: InvalidationBus, onIssuerKeys?: () => void): Promise<InvalidationSubscription> {
    return bus.subscribe(
      (message) => this.apply(message, onIssuerKeys),
      () => {
        this.flush();
        onIssuerKeys?.();
      },
    );
  }
}
