/** Step 6: the replay store's admission in one round trip: state version, rate limits, then the nonce (Gate). */
import { DomainError } from "../../errors.js";
import type { AgentState } from "../../model.js";
import { nonceTtlMsFor } from "../gate.js";
import type { Admission, LimitedEndpoint, VerifyMetrics } from "../ports.js";
import type { RefusalCode } from "../reasons.js";
import type { ProofWindow } from "./proof-checker.js";

export interface GateLimits {
  /** RATE_LIMIT_PER_MINUTE (global, per caller) */
  readonly callerLimitPerMinute: number;
  /** AGENT_RATE_LIMIT_PER_MINUTE */
  readonly agentLimitPerMinute: number;
}

export type GateResult = { readonly kind: "admitted" } | { readonly kind: "refused"; readonly reason: RefusalCode } | { readonly kind: "stale" };

export class Gate {
  constructor(
    private readonly admission: Admission,
    private readonly limits: GateLimits,
    private readonly window: ProofWindow,
    private readonly metrics: Pick<VerifyMetrics, "replayDenied" | "rateLimited">,
  ) {}

  /**
   * Admits (caller, agent, jti): stale when the shared state version moved; nonce_replay (counted); stale_proof
   * when the store restarted empty after the proof was made; rate limits throw resource_exhausted with a retry
   * hint and leave the nonce unused.
   */
  async pass(endpoint: LimitedEndpoint, caller: string, state: AgentState, proof: { jti: string; iat: number }, nowMs: number): Promise<GateResult> {
    const outcome = await this.admission.admit({
      callerKey: caller,
      agentId: state.agentId,
      jti: proof.jti,
      agentStateVersion: state.stateVersion,
      callerLimitPerMinute: this.limits.callerLimitPerMinute,
      agentLimitPerMinute: this.limits.agentLimitPerMinute,
      nonceTtlMs: nonceTtlMsFor(this.window.maxAgeSeconds, this.window.futureSkewSeconds),
      proofIatMs: proof.iat * 1000,
      epochGraceMs: this.window.futureSkewSeconds * 1000,
      nowMs,
    });
    switch (outcome.outcome) {
      case "admitted":
        return { kind: "admitted" };
      case "stale_state":
        return { kind: "stale" };
      case "replay":
        this.metrics.replayDenied();
        return { kind: "refused", reason: "nonce_replay" };
      case "before_epoch":
        // The store restarted empty after this proof was made: it may have been used before.
        return { kind: "refused", reason: "stale_proof" };
      case "rate_limited":
        this.metrics.rateLimited(endpoint);
        throw new DomainError("resource_exhausted", `verify.rate_limited_${outcome.scope}`, "rate limit exceeded", {
          retryAfterMs: outcome.retryAfterMs,
        });
    }
  }
}
