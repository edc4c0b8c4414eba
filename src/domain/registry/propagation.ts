/** After-commit propagation of an agent change to every verifier replica: the shared state version, then pub/sub. */
import type { AgentVersionSink, InvalidationBus } from "../verify/index.js";

export interface PropagationOptions {
  /** Called for each failed attempt (logs); the change is retried in the background. */
  readonly onError?: (agentId: string, version: number, attempt: number, error: unknown) => void;
  /** First retry delay; it doubles up to maxDelayMs (defaults 500 ms and 30 s). */
  readonly retryDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Tells verifiers that an agent changed, after the change committed in Postgres. The shared version is written
 * first: even when the pub/sub message is lost, the gate sees the mismatch on the next Verify and reloads the
 * agent. This is the fast path only: the committed row is the durable record, and every replica re-reads an
 * agent's state at least every AGENT_STATE_MAX_STALENESS_SECONDS, so a change reaches every replica within that
 * bound even when Redis cannot be reached. So a failure never fails the caller's committed change: it is
 * retried in the background until it succeeds or a newer version of the agent supersedes it.
 */
export class AgentChangePropagator {
  private readonly pending = new Map<string, { version: number; timer: ReturnType<typeof setTimeout> }>();
  private closed = false;

  constructor(
    private readonly gate: AgentVersionSink,
    private readonly bus: InvalidationBus,
    private readonly options: PropagationOptions = {},
  ) {}

  /** Propagates now; on failure schedules retries and resolves anyway (the change is committed). */
  async agentChanged(agentId: string, version: number): Promise<void> {
    const queued = this.pending.get(agentId);
    if (queued !== undefined && queued.version <= version) {
      clearTimeout(queued.timer);
      this.pending.delete(agentId);
    }
    await this.attempt(agentId, version, 1);
  }

  /** Number of changes waiting for a retry (readiness detail and tests). */
  get backlog(): number {
    return this.pending.size;
  }

  /** Stops retrying (shutdown); the staleness bound still carries the changes to every replica. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private async attempt(agentId: string, version: number, attempt: number): Promise<void> {
    try {
      await this.gate.setAgentVersion(agentId, version);
      await this.bus.publish({ kind: "agent", agentId, version });
      const queued = this.pending.get(agentId);
      if (queued !== undefined && queued.version <= version) this.pending.delete(agentId);
    } catch (error) {
      this.options.onError?.(agentId, version, attempt, error);
      this.retryLater(agentId, version, attempt);
    }
  }

  private retryLater(agentId: string, version: number, attempt: number): void {
    const queued = this.pending.get(agentId);
    if (this.closed || (queued !== undefined && queued.version > version)) return;
    if (queued !== undefined) clearTimeout(queued.timer);
    const first = this.options.retryDelayMs ?? 500;
    const delay = Math.min(first * 2 ** (attempt - 1), this.options.maxDelayMs ?? 30_000);
    const timer = setTimeout(() => void this.attempt(agentId, version, attempt + 1), delay);
    timer.unref();
    this.pending.set(agentId, { version, timer });
  }
}
