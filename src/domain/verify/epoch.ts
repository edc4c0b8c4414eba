/** Start-up epoch of the replay store: no refusal window on a clean start, a full one when proofs may be lost. */
import type { ReplayEpoch } from "./ports.js";

/** The audit log as the epoch reads it: is there any event of `action` since startMs? */
export interface NonceUseLog {
  list(filter: { action: string; startMs: number; pageSize: number }): Promise<{ readonly items: readonly unknown[] }>;
}

/** Audit actions that mean a proof nonce was consumed (decisions, and credential renewals by proof). */
export const NONCE_CONSUMING_ACTIONS = ["verify.decision", "handshake.decision", "credential.issued"] as const;

/**
 * A proof consumed at time t carries iat <= t + skew and stays acceptable until iat + skew, so only proofs
 * consumed within the last 2 * skew could be replayed now. When the audit log (which records every decision
 * before it is acknowledged) shows none in that span, the epoch is put just before it and fresh proofs pass at
 * once; otherwise the epoch is now and proofs made before now + skew are refused (the restart window).
 * The store keeps an existing epoch (initEpoch is SET NX).
 */
export async function initReplayEpoch(
  gate: ReplayEpoch,
  audit: NonceUseLog,
  nowMs: number,
  skewSeconds: number,
): Promise<{ readonly epochMs: number; readonly recentConsumption: boolean }> {
  const spanMs = 2 * skewSeconds * 1000 + 1000;
  let recentConsumption = false;
  for (const action of NONCE_CONSUMING_ACTIONS) {
    const page = await audit.list({ action, startMs: nowMs - spanMs, pageSize: 1 });
    if (page.items.length > 0) {
      recentConsumption = true;
      break;
    }
  }
  const wanted = recentConsumption ? nowMs : nowMs - spanMs - skewSeconds * 1000;
  return { epochMs: await gate.initEpoch(wanted), recentConsumption };
}
