/** The one TrustScorer: Verify, GetTrustScore and telemetry all score an agent through it (cached state, decay at read time). */
import type { Clock } from "../clock.js";
import type { OrgTier } from "../model.js";
import { scoreAt, type TrustScore } from "./score.js";
import type { CachedTrustStateSource } from "./source.js";
import { emptyTrustState } from "./state.js";

/** The agent facts a score depends on besides its evidence. */
export interface ScoredAgent {
  readonly agentId: string;
  readonly createdAtMs: number;
  readonly orgTier: OrgTier;
}

export class TrustScorer {
  constructor(
    private readonly states: CachedTrustStateSource,
    private readonly clock: Clock,
    /** Observes the duration of each computation (seconds): the trust metric. */
    private readonly observe: (seconds: number) => void = () => undefined,
  ) {}

  /**
   * The score now. The stored state comes from the short-lived cache (the Verify path makes no database round
   * trip); `fresh` reads it from storage (GetTrustScore and the answer to a report see every committed report).
   */
  async score(agent: ScoredAgent, options: { readonly fresh?: boolean } = {}): Promise<TrustScore> {
    const stored = options.fresh === true ? await this.states.reload(agent.agentId) : await this.states.load(agent.agentId);
    const nowMs = this.clock.nowMs();
    const started = performance.now();
    const score = scoreAt(stored ?? emptyTrustState(nowMs), nowMs, { agentCreatedAtMs: agent.createdAtMs, orgTier: agent.orgTier });
    this.observe((performance.now() - started) / 1000);
    return score;
  }
}
