/** Tells operators about a replay restart window: one log line with its end as a time, and a /readyz notice while it lasts. */
import type { Clock } from "../domain/clock.js";
import type { ProofWindow } from "../domain/verify/index.js";
import type { Logger } from "../telemetry/logger.js";
import type { HealthRegistry } from "./health-registry.js";

export const REPLAY_WINDOW_NOTICE = "replay_restart_window";

export interface ReplayWindowNotice {
  /**
   * Reports the replay store's epoch in force (at start, and on every Redis probe). A new epoch whose window
   * still lies ahead is logged once; an epoch the store kept (its window long past) says nothing.
   */
  observe(epochMs: number): void;
}

export function createReplayWindowNotice(deps: {
  readonly health: HealthRegistry;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly window: ProofWindow;
}): ReplayWindowNotice {
  let epoch: number | undefined;
  let endMs = Number.NEGATIVE_INFINITY;
  deps.health.notice(REPLAY_WINDOW_NOTICE, () => {
    if (epoch === undefined || endMs <= deps.clock.nowMs()) return undefined;
    return {
      restarted_at: new Date(epoch).toISOString(),
      refuses_proofs_dated_until: new Date(endMs).toISOString(),
      why: "the replay store restarted empty; proofs dated up to this time may have been used and are refused as stale_proof",
    };
  });
  return {
    observe(epochMs) {
      if (epochMs === epoch) return;
      epoch = epochMs;
      // The gate refuses proofs with iat <= epoch + futureSkew (epochGraceMs): a proof consumed before the restart
      // is dated at most that far ahead of it.
      endMs = epochMs + deps.window.futureSkewSeconds * 1000;
      if (endMs <= deps.clock.nowMs()) return;
      const until = new Date(endMs).toISOString();
      deps.logger.warn(
        { replayEpoch: new Date(epochMs).toISOString(), replayWindowUntil: until },
        `replay store restarted empty: proofs dated up to ${until} are refused as stale_proof (PROOF_FUTURE_SKEW_SECONDS); fresh proofs made after it verify`,
      );
    },
  };
}
