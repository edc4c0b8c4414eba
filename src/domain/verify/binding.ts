/** Shared steps of Verify and handshakes: the presented token's subject, state binding, the gate, trust. */
import { DomainError, unavailable } from "../errors.js";
import type { AgentState } from "../model.js";
import { emptyTrustState } from "../trust/state.js";
import { scoreAt, type TrustScore } from "../trust/score.js";
import type { VerifierDeps } from "./deps.js";
import type { DecisionRecord, LimitedEndpoint } from "./ports.js";
import { epochGraceMsFor, nonceTtlMsForWindow } from "./proof-window.js";
import { reasonOf, type Reason, type ReasonCode, type RefusalCode } from "./reasons.js";
import { checkSessionToken } from "./session.js";

/** Who a credential or session token speaks for. */
export interface Subject {
  readonly kind: "credential" | "session";
  readonly agentId: string;
  readonly orgId: string;
  readonly jkt: string;
  readonly capHash: string;
  /** Session scopes (undefined for a credential: the manifest's scopes apply). */
  readonly sessionScopes: readonly string[] | undefined;
  readonly sessionId: string | undefined;
}

export type Presented = { readonly kind: "credential" | "session"; readonly token: string };

export type SubjectResult = { ok: true; subject: Subject } | { ok: false; reason: RefusalCode };

/** Checks the credential (through the CredentialChecker port) or the session token (own key). */
export async function resolveSubject(deps: VerifierDeps, presented: Presented, caller: string): Promise<SubjectResult> {
  if (presented.kind === "credential") {
    const r = await deps.credentials.check(presented.token);
    if (!r.ok) return { ok: false, reason: r.reason };
    const c = r.claims;
    return {
      ok: true,
      subject: { kind: "credential", agentId: c.agentId, orgId: c.orgId, jkt: c.jkt, capHash: c.capHash, sessionScopes: undefined, sessionId: undefined },
    };
  }
  const s = await checkSessionToken(deps.sessionKeys, deps.settings.issuerUrl, presented.token, caller, deps.clock.nowMs());
  if (!s.ok) return s;
  const c = s.claims;
  return {
    ok: true,
    subject: { kind: "session", agentId: c.agentId, orgId: c.orgId, jkt: c.jkt, capHash: c.capHash, sessionScopes: c.scopes, sessionId: c.sid },
  };
}

/** revoked / key_mismatch (cnf.jkt != current key) / credential_mismatch (cap hash != current manifest). */
export function stateRefusal(state: AgentState, subject: Subject): RefusalCode | undefined {
  if (state.status === "revoked") return "revoked";
  if (subject.orgId !== state.orgId) return "credential_mismatch";
  if (subject.jkt !== state.keyThumbprint) return "key_mismatch";
  if (subject.capHash !== state.manifestHash) return "credential_mismatch";
  return undefined;
}

/** The scopes in force: the manifest's, or for a session the session's that the manifest still grants. */
export function grantedScopes(state: AgentState, subject: Subject): readonly string[] {
  const manifest = state.capabilities.scopes;
  return subject.sessionScopes === undefined ? manifest : subject.sessionScopes.filter((s) => manifest.includes(s));
}

export type Attempt<T> = { kind: "stale" } | { kind: "done"; value: T };

/**
 * Runs `attempt` against the agent's cached state; reloads once first when the token is bound to a key or
 * manifest the cache does not know (the cache may be behind), and reloads and re-decides once when the
 * gate reports stale_state. A second stale_state fails closed (unavailable).
 */
export async function withAgentState<T>(
  deps: VerifierDeps,
  subject: Subject,
  unknown: () => T,
  attempt: (state: AgentState) => Promise<Attempt<T>>,
): Promise<T> {
  let state = await deps.agents.get(subject.agentId);
  if (state !== undefined && state.status === "active") {
    const refusal = stateRefusal(state, subject);
    if (refusal === "key_mismatch" || refusal === "credential_mismatch") state = await deps.agents.reload(subject.agentId);
  }
  for (let round = 0; ; round++) {
    if (state === undefined) return unknown();
    const result = await attempt(state);
    if (result.kind === "done") return result.value;
    if (round >= 1) throw unavailable("verify.state_unsettled", "agent state");
    state = await deps.agents.reload(subject.agentId);
  }
}

export type GateResult = { kind: "admitted" } | { kind: "refused"; reason: RefusalCode } | { kind: "stale" };

/** Passes the gate; rate_limited throws resource_exhausted (nonce untouched); replay reports the metric. */
export async function passGate(
  deps: VerifierDeps,
  endpoint: LimitedEndpoint,
  caller: string,
  state: AgentState,
  jti: string,
  iatSeconds: number,
): Promise<GateResult> {
  const { settings } = deps;
  const outcome = await deps.gate.admit({
    callerKey: caller,
    agentId: state.agentId,
    jti,
    agentStateVersion: state.stateVersion,
    callerLimitPerMinute: settings.callerLimitPerMinute,
    agentLimitPerMinute: settings.agentLimitPerMinute,
    nonceTtlMs: nonceTtlMsForWindow(settings.proofWindow),
    proofIatMs: iatSeconds * 1000,
    epochGraceMs: epochGraceMsFor(settings.proofWindow),
    nowMs: deps.clock.nowMs(),
  });
  switch (outcome.outcome) {
    case "admitted":
      return { kind: "admitted" };
    case "stale_state":
      return { kind: "stale" };
    case "replay":
      deps.metrics.replayDenied();
      return { kind: "refused", reason: "nonce_replay" };
    case "before_epoch":
      // The store restarted empty: the proof is dated up to the restart plus the future skew, so it may have
      // been used before; a proof made after that (seconds later) verifies.
      return { kind: "refused", reason: "stale_proof" };
    case "rate_limited":
      deps.metrics.rateLimited(endpoint);
      throw new DomainError("resource_exhausted", `verify.rate_limited_${outcome.scope}`, "rate limit exceeded", {
        retryAfterMs: outcome.retryAfterMs,
      });
  }
}

/** The agent's trust score now, timed into the trust metric. */
export async function trustOf(deps: VerifierDeps, state: AgentState): Promise<TrustScore> {
  const stored = await deps.trust.load(state.agentId);
  const clockNow = deps.clock.nowMs();
  const mono = deps.monotonicMs ?? (() => performance.now());
  const started = mono();
  const score = scoreAt(stored ?? emptyTrustState(clockNow), clockNow, {
    agentCreatedAtMs: state.createdAtMs,
    orgTier: state.orgTier,
  });
  deps.metrics.trustComputed((mono() - started) / 1000);
  return score;
}

/** The calling relying party's identity and the audiences configured for it. */
export function audiencesOf(deps: VerifierDeps, caller: string): readonly string[] {
  return [caller, ...deps.settings.audiencesFor(caller)];
}

/** What every decision (Verify or handshake) ends with. */
export interface DecisionOutcome {
  readonly reason: RefusalCode | "verified";
  readonly subject: Subject | undefined;
  readonly jti: string | undefined;
  readonly trust: TrustScore | undefined;
}

/** The request-specific fields of a decision's audit record. */
export type DecisionRequest = Pick<DecisionRecord, "scope" | "operation" | "amountMinor" | "currency" | "requestedScopes">;

/** The answer fields Verify and handshakes share. */
export interface DecisionAnswer {
  readonly valid: boolean;
  readonly reason: Reason;
  readonly reasonCode: ReasonCode;
  readonly agentId: string | undefined;
  readonly orgId: string | undefined;
  readonly trust: TrustScore | undefined;
  readonly decisionId: string;
}

/** Records the decision (acknowledged once its audit batch commits) and returns the shared answer fields. */
export async function recordDecision(
  deps: VerifierDeps,
  kind: DecisionRecord["kind"],
  who: { readonly caller: string; readonly requestId?: string },
  outcome: DecisionOutcome,
  request: DecisionRequest,
): Promise<DecisionAnswer> {
  const valid = outcome.reason === "verified";
  const { decisionId } = await deps.recorder.record({
    kind,
    requestId: who.requestId,
    atMs: deps.clock.nowMs(),
    caller: who.caller,
    valid,
    reasonCode: outcome.reason,
    agentId: outcome.subject?.agentId,
    orgId: outcome.subject?.orgId,
    ...request,
    jti: outcome.jti,
    sessionId: outcome.subject?.sessionId,
    trustScore: outcome.trust?.score,
  });
  return {
    valid,
    reason: reasonOf(outcome.reason),
    reasonCode: outcome.reason,
    agentId: outcome.subject?.agentId,
    orgId: outcome.subject?.orgId,
    trust: outcome.trust,
    decisionId,
  };
}
