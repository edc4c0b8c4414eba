/** Pilot steps 4-6 and 9: a fresh proof verifies, the same proof replays, the rate limit answers, revocation holds. */
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentStatus } from "../../../gen/agentidentity/v1/common_pb.js";
import { lookupRestartWindow, staleProofExplanation } from "./restart-window.js";
import { MAX_RETRY_WAIT_MS, StepCheckError, check, sleep, type AdminClients, type PilotRun, type StepOutcome, type StepResult, type VerifyKit } from "./step-kit.js";

/** Most waits for a retry-after hint before the final Verify (the caller guard refills within seconds). */
const MAX_RETRY_WAITS = 5;
/** Parallel Verify calls while pushing past the rate limit. */
const RATE_LIMIT_CONCURRENCY = 8;

function retryAfterMs(e: ConnectError): number {
  const seconds = Number(e.metadata.get("retry-after") ?? "1");
  return Math.min(MAX_RETRY_WAIT_MS, Math.max(1, Number.isFinite(seconds) ? seconds : 1) * 1000);
}

/**
 * 4. A fresh proof verifies. A stale_proof right after the replay store restarted empty is the restart window
 * (seconds): name it, wait for its end and try once more with a proof made after it. Returns the proof sent.
 */
export async function verifyFresh(run: PilotRun, kit: VerifyKit, credential: string): Promise<StepResult<string>> {
  let sent = await kit.proof(credential);
  let res = await kit.verify(credential, sent);
  let window: StepOutcome = {};
  if (res.reasonCode === "stale_proof") {
    const lookup = await lookupRestartWindow(run.settings.sidecarUrl);
    const waitMs = lookup.kind === "window" ? lookup.window.untilMs + 1_000 - Date.now() : -1;
    check(lookup.kind === "window" && waitMs <= MAX_RETRY_WAIT_MS * 3, `a fresh proof was refused as stale_proof: ${staleProofExplanation(lookup)}`);
    window = { restart_window_until: lookup.window.until, waited_ms: Math.max(0, Math.round(waitMs)) };
    await sleep(waitMs);
    sent = await kit.proof(credential);
    res = await kit.verify(credential, sent);
    check(res.reasonCode !== "stale_proof", `a proof made after the restart window was refused as stale_proof: ${staleProofExplanation(lookup)}`);
  }
  check(res.valid && res.reasonCode === "verified", `expected verified, got ${res.reasonCode}`);
  return { outcome: { reason_code: res.reasonCode, decision_id: res.decisionId, trust_score: res.trustScore?.score ?? -1, ...window }, value: sent };
}

/** 5. The same proof again is a replay. */
export async function replayRefused(kit: VerifyKit, credential: string, usedProof: string): Promise<StepResult<undefined>> {
  const res = await kit.verify(credential, usedProof);
  check(!res.valid && res.reasonCode === "nonce_replay", `expected nonce_replay, got ${res.reasonCode}`);
  return { outcome: { reason_code: res.reasonCode, decision_id: res.decisionId }, value: undefined };
}

/** 6. Fresh proofs until the service answers RESOURCE_EXHAUSTED, at most 2x the expected limit + 50. */
export async function rateLimitReached(run: PilotRun, kit: VerifyKit, credential: string): Promise<StepResult<undefined>> {
  const cap = 2 * run.settings.expectedRateLimit + 50;
  let sent = 0;
  let verified = 0;
  let limited: ConnectError | undefined;
  while (limited === undefined && sent < cap) {
    const batch = Math.min(RATE_LIMIT_CONCURRENCY, cap - sent);
    const proofs = await Promise.all(Array.from({ length: batch }, () => kit.proof(credential)));
    sent += batch;
    const results = await Promise.allSettled(proofs.map((p) => kit.verify(credential, p)));
    for (const r of results) {
      if (r.status === "fulfilled") {
        check(r.value.reasonCode === "verified", `a fresh proof was refused with ${r.value.reasonCode} before the limit`);
        verified++;
        continue;
      }
      const err = ConnectError.from(r.reason);
      if (err.code !== Code.ResourceExhausted) throw err;
      limited ??= err;
    }
  }
  check(limited !== undefined, `no RESOURCE_EXHAUSTED after ${sent} requests (PILOT_RATE_LIMIT=${run.settings.expectedRateLimit}; is the service's limit higher?)`);
  return {
    outcome: { code: "RESOURCE_EXHAUSTED", sent, verified_before_limit: verified, retry_after_s: Number(limited.metadata.get("retry-after") ?? 0) },
    value: undefined,
  };
}

/** 9. Revoke, then a fresh proof with the renewed credential is refused as revoked. */
export async function revokeHolds(run: PilotRun, { registry }: AdminClients, kit: VerifyKit, renewed: string): Promise<StepResult<undefined>> {
  const res = await registry.revokeAgent({ agentId: run.agentId, reason: "pilot smoke" });
  check(res.agent?.status === AgentStatus.REVOKED, "RevokeAgent did not report the agent revoked");
  let waits = 0;
  for (;;) {
    try {
      const decision = await kit.verify(renewed, await kit.proof(renewed));
      check(!decision.valid && decision.reasonCode === "revoked", `expected revoked, got ${decision.reasonCode}`);
      return { outcome: { reason_code: decision.reasonCode, decision_id: decision.decisionId, rate_limit_waits: waits }, value: undefined };
    } catch (e) {
      const err = e instanceof StepCheckError ? undefined : ConnectError.from(e);
      // The per-caller guard of step 6 may still be empty: honour its retry-after hint a few times.
      if (err === undefined || err.code !== Code.ResourceExhausted || waits >= MAX_RETRY_WAITS) throw e;
      waits++;
      await sleep(retryAfterMs(err));
    }
  }
}
