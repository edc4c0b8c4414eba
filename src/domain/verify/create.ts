/** The verify module's factory: builds the steps once from the ports they consume; Verify and handshakes share them. */
import type { Clock } from "../clock.js";
import { AgentStateBinding } from "./steps/agent-binding.js";
import { CallerGuard, guardOptionsFor, type CallerGuardOptions } from "./caller-guard.js";
import { DecisionLog } from "./steps/decision-log.js";
import { Gate } from "./steps/gate.js";
import { Handshakes } from "./handshake.js";
import type { AgentStates, CredentialChecker, DecisionRecorder, ReplayStore, TrustScorer, VerifyMetrics } from "./ports.js";
import { ProofChecker, type ProofWindow } from "./steps/proof-checker.js";
import { SessionProposals, type SessionSettings } from "./session-proposals.js";
import type { SessionKeys } from "./session-keys.js";
import { SessionTokens } from "./session.js";
import { SubjectResolver } from "./steps/subject.js";
import { Verifier } from "./verifier.js";

export interface VerifySettings extends ProofWindow, SessionSettings {
  /** RATE_LIMIT_PER_MINUTE (global, per caller); also sizes the per-replica caller guard. */
  readonly callerLimitPerMinute: number;
  /** AGENT_RATE_LIMIT_PER_MINUTE */
  readonly agentLimitPerMinute: number;
  /** ISSUER_URL: iss of session tokens. */
  readonly issuerUrl: string;
  /** Extra proof audiences configured for a relying party (RELYING_PARTY_AUDIENCES). */
  readonly audiencesFor: (caller: string) => readonly string[];
  /** The per-replica caller guard's sizing; default guardOptionsFor(callerLimitPerMinute). */
  readonly callerGuard?: CallerGuardOptions;
}

export interface VerifyDeps {
  readonly clock: Clock;
  readonly settings: VerifySettings;
  readonly credentials: CredentialChecker;
  readonly sessionKeys: SessionKeys;
  readonly agents: AgentStates;
  readonly replay: ReplayStore;
  readonly trust: TrustScorer;
  readonly recorder: DecisionRecorder;
  readonly metrics: VerifyMetrics;
}

export interface VerifyModule {
  readonly verifier: Verifier;
  readonly handshakes: Handshakes;
  readonly sessions: SessionProposals;
}

/** Callers' audience lists, built once per caller (the configuration is frozen) instead of per request. */
function audiencesMemo(audiencesFor: (caller: string) => readonly string[], maxCallers = 10_000): (caller: string) => readonly string[] {
  const memo = new Map<string, readonly string[]>();
  return (caller) => {
    let audiences = memo.get(caller);
    if (audiences === undefined) {
      if (memo.size >= maxCallers) memo.clear();
      audiences = Object.freeze([caller, ...audiencesFor(caller)]);
      memo.set(caller, audiences);
    }
    return audiences;
  };
}

export function createVerify(deps: VerifyDeps): VerifyModule {
  const { clock, settings } = deps;
  const sessionTokens = new SessionTokens(deps.sessionKeys, settings.issuerUrl, clock);
  const steps = {
    clock,
    guard: new CallerGuard(clock, settings.callerGuard ?? guardOptionsFor(settings.callerLimitPerMinute)),
    subjects: new SubjectResolver(deps.credentials, sessionTokens),
    binding: new AgentStateBinding(deps.agents),
    proofs: new ProofChecker(settings),
    gate: new Gate(deps.replay, settings, settings, deps.metrics),
    trust: deps.trust,
    log: new DecisionLog(deps.recorder, clock),
    metrics: deps.metrics,
    audiencesOf: audiencesMemo(settings.audiencesFor),
  };
  const sessions = new SessionProposals(deps.replay, deps.agents, sessionTokens, clock, settings);
  return { verifier: new Verifier(steps), handshakes: new Handshakes(steps, sessions), sessions };
}
