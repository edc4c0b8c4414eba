/** Start-up epoch of the replay store: no refusal window on a clean start, a window of seconds when proofs may be lost. */
import { nonceTtlMsFor } from "./gate.js";
import type { ReplayEpoch } from "./ports.js";
import type { ProofWindow } from "./steps/proof-checker.js";

/** The audit log as the epoch reads it: is there any event of `action` since startMs? */
export interface NonceUseLog {
  list(filter: { action: string; startMs: number; pageSize: number }): Promise<{ readonly items: readonly unknown[] }>;
}

/** Audit actions that mean a proof nonce was consumed (decisions, and credential renewals by proof). */
export const NONCE_CONSUMING_ACTIONS = ["verify.decision", "handshake.decision", "credential.issued"] as const;

/**
 * A proof consumed at time t stays acceptable until at most t + futureSkew + maxAge, so only proofs consumed
 * within that span could be replayed now. When the audit log (which records every decision before it is
 * acknowledged) shows none in that span, the epoch is put before it and fresh proofs pass at once; otherwise
 * the epoch is now and proofs dated up to now + futureSkew are refused (the restart window, seconds).
 * The store keeps an existing epoch (initEpoch is SET NX): a store that kept its data opens no window.
 */
export async function initReplayEpoch(
  gate: ReplayEpoch,
  audit: NonceUseLog,
  nowMs: number,
  window: ProofWindow,
): Promise<{ readonly epochMs: number; readonly recentConsumption: boolean }> {
  const spanMs = nonceTtlMsFor(window.maxAgeSeconds, window.futureSkewSeconds);
  let recentConsumption = false;
  for (const action of NONCE_CONSUMING_ACTIONS) {
    const page = await audit.list({ action, startMs: nowMs - spanMs, pageSize: 1 });
    if (page.items.length > 0) {
      recentConsumption = true;
      break;
    }
  }
  const wanted = recentConsumption ? nowMs : nowMs - spanMs - window.futureSkewSeconds * 1000;
  return { epochMs: await gate.initEpoch(wanted), recentConsumption };
}
