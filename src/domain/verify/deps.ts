/** Everything the Verify, handshake and session flows are built from (wired in app.ts). */
import type { Clock } from "../clock.js";
import type { TrustStateSource } from "../trust/source.js";
import type { AgentStateCache } from "./agent-state-cache.js";
import type { CallerGuard } from "./caller-guard.js";
import type { CredentialChecker } from "./credential-checker.js";
import type { ReplayGate } from "./gate.js";
import type { DecisionRecorder, VerifyMetrics } from "./ports.js";
import type { ProofWindow } from "./proof-window.js";
import type { SessionKeys } from "./session-keys.js";

export interface VerifySettings {
  /** PROOF_MAX_AGE_SECONDS, PROOF_FUTURE_SKEW_SECONDS */
  readonly proofWindow: ProofWindow;
  /** RATE_LIMIT_PER_MINUTE (global, per caller) */
  readonly callerLimitPerMinute: number;
  /** AGENT_RATE_LIMIT_PER_MINUTE */
  readonly agentLimitPerMinute: number;
  /** ISSUER_URL: iss of session tokens. */
  readonly issuerUrl: string;
  /** SESSION_TTL_SECONDS */
  readonly sessionTtlSeconds: number;
  /** How long a handshake's session proposal may be redeemed. */
  readonly proposalTtlSeconds: number;
  /** Extra proof audiences configured for a relying party (RELYING_PARTY_AUDIENCES). */
  readonly audiencesFor: (caller: string) => readonly string[];
}

export interface VerifierDeps {
  readonly clock: Clock;
  readonly settings: VerifySettings;
  readonly guard: CallerGuard;
  readonly credentials: CredentialChecker;
  readonly sessionKeys: SessionKeys;
  readonly agents: AgentStateCache;
  readonly gate: ReplayGate;
  readonly trust: TrustStateSource;
  readonly recorder: DecisionRecorder;
  readonly metrics: VerifyMetrics;
  /** Monotonic milliseconds for durations (metrics only); default performance.now. */
  readonly monotonicMs?: () => number;
}
