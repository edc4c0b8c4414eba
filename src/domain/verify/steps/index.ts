/** The Verify steps in the order of DESIGN.md section 4, each a small object over a narrow port; Verify and handshakes share them. */
import type { Clock } from "../../clock.js";
import { isDomainError } from "../../errors.js";
import type { CallerGuard } from "../caller-guard.js";
import type { LimitedEndpoint, TrustScorer, VerifyMetrics } from "../ports.js";
import type { AgentStateBinding } from "./agent-binding.js";
import type { DecisionLog } from "./decision-log.js";
import type { Gate } from "./gate.js";
import type { ProofChecker } from "./proof-checker.js";
import type { SubjectResolver } from "./subject.js";

export interface VerifySteps {
  readonly clock: Clock;
  /** 2: the coarse per-caller guard (per replica). */
  readonly guard: CallerGuard;
  /** 3: credential or session token -> subject. */
  readonly subjects: SubjectResolver;
  /** 4: the agent's state bound to the subject. */
  readonly binding: AgentStateBinding;
  /** 5: the agent-signed token. */
  readonly proofs: ProofChecker;
  /** 6: state version, rate limits, nonce. */
  readonly gate: Gate;
  /** 8: the trust score. */
  readonly trust: TrustScorer;
  /** 9: the audit record. */
  readonly log: DecisionLog;
  readonly metrics: VerifyMetrics;
  /** The calling relying party's identity plus the audiences configured for it (RELYING_PARTY_AUDIENCES). */
  audiencesOf(caller: string): readonly string[];
}

/** Step 2: takes the caller's guard token; a refusal counts as a rate-limit hit on its endpoint. */
export function takeGuard(steps: Pick<VerifySteps, "guard" | "metrics">, caller: string, endpoint: LimitedEndpoint): void {
  try {
    steps.guard.take(caller);
  } catch (e) {
    if (isDomainError(e) && e.kind === "resource_exhausted") steps.metrics.rateLimited(endpoint);
    throw e;
  }
}
