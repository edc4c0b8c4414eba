/** Verify: DESIGN.md section 4 read top to bottom, one named step per line; a decision, or a DomainError for envelope faults. */
import type { FieldViolation } from "../errors.js";
import { isDomainError } from "../errors.js";
import type { AgentState } from "../model.js";
import { PROOF, type ProofClaims } from "../tokens/index.js";
import type { TrustScore } from "../trust/score.js";
import { checkPolicy } from "./policy.js";
import type { Reason, ReasonCode, RefusalCode } from "./reasons.js";
import { done, STALE, type Attempt } from "./steps/agent-binding.js";
import type { DecisionOutcome } from "./steps/decision-log.js";
import { takeGuard, type VerifySteps } from "./steps/index.js";
import { checkRequestedAction, checkTokenField, throwViolations, type RequestedAction } from "./steps/input-bounds.js";
import type { Presented, Subject } from "./steps/subject.js";

export interface VerifyInput extends RequestedAction {
  /** The relying party: the mTLS peer identity. */
  readonly caller: string;
  /** The credential or session token; undefined when the request set neither. */
  readonly presented: Presented | undefined;
  readonly proof: string;
  /** The request id, written with the decision to the audit log. */
  readonly requestId?: string;
}

export interface VerifyDecision {
  readonly valid: boolean;
  readonly reason: Reason;
  readonly reasonCode: ReasonCode;
  readonly agentId: string | undefined;
  readonly orgId: string | undefined;
  /** The agent's granted scopes (for a session, the session's scopes still granted); empty when refused. */
  readonly grantedScopes: readonly string[];
  /** Every answer about a known agent carries its trust score, refusals included. */
  readonly trust: TrustScore | undefined;
  readonly decisionId: string;
}

interface Outcome extends DecisionOutcome {
  readonly granted: readonly string[];
}

/** Step 1: envelope checks (INVALID_ARGUMENT naming each wrong field, proto field names). */
export function boundVerifyInput(input: VerifyInput): void {
  const v: FieldViolation[] = [];
  if (input.presented === undefined) v.push({ field: "credential", description: "credential or session_token required" });
  else checkTokenField(v, input.presented.kind === "credential" ? "credential" : "session_token", input.presented.token);
  checkTokenField(v, "proof", input.proof);
  checkRequestedAction(v, input);
  throwViolations("verify.invalid_request", v);
}

/** The signed request must be the one the relying party asks about (step 5, last check). */
export function requestMismatch(claims: ProofClaims, action: RequestedAction): boolean {
  return claims.scope !== action.scope || claims.op !== action.operation || BigInt(claims.amt) !== action.amountMinor || claims.cur !== action.currency;
}

export class Verifier {
  constructor(private readonly steps: VerifySteps) {}

  /**
   * Decides one Verify request. Throws DomainError for invalid_argument (envelope), resource_exhausted
   * (caller guard or rate limits, with retryAfterMs) and unavailable (stores down: fail closed).
   */
  async verify(input: VerifyInput): Promise<VerifyDecision> {
    const started = performance.now();
    try {
      const decision = await this.decide(input);
      this.steps.metrics.verifyResult(decision.valid ? "valid" : "invalid", decision.reasonCode, (performance.now() - started) / 1000);
      return decision;
    } catch (e) {
      this.steps.metrics.verifyResult("error", isDomainError(e) ? e.kind : "internal", (performance.now() - started) / 1000);
      throw e;
    }
  }

  private async decide(input: VerifyInput): Promise<VerifyDecision> {
    const steps = this.steps;
    boundVerifyInput(input); // 1
    takeGuard(steps, input.caller, "verify"); // 2
    const presented = input.presented as Presented;
    const resolved = await steps.subjects.resolve(presented, input.caller); // 3
    const outcome: Outcome = resolved.ok
      ? await steps.binding.decide<Outcome>(resolved.subject, () => refusal("unknown_agent", resolved.subject), (state) =>
          this.againstState(input, presented, resolved.subject, state),
        ) // 4-8
      : refusal(resolved.reason, undefined);
    const answer = await steps.log.record("verify", input, outcome, {
      scope: input.scope,
      operation: input.operation,
      amountMinor: input.amountMinor,
      currency: input.currency,
      requestedScopes: undefined,
    }); // 9
    return { ...answer, grantedScopes: outcome.granted };
  }

  /** Steps 4 to 8 against one agent state; "stale" when the gate saw a newer state version. */
  private async againstState(input: VerifyInput, presented: Presented, subject: Subject, state: AgentState): Promise<Attempt<Outcome>> {
    const steps = this.steps;
    const refuse = async (reason: RefusalCode, jti?: string) => done({ ...refusal(reason, subject, jti), trust: await steps.trust.score(state) });
    const bound = steps.binding.refusal(state, subject); // 4
    if (bound !== undefined) return refuse(bound);
    const nowMs = steps.clock.nowMs();
    const proof = steps.proofs.check(PROOF, input.proof, "proof", state, { boundTo: presented.token, audiences: steps.audiencesOf(input.caller), nowMs }); // 5
    if (!proof.ok) return refuse(proof.reason, proof.jti);
    if (requestMismatch(proof.claims, input)) return refuse("request_mismatch", proof.claims.jti);
    const gate = await steps.gate.pass("verify", input.caller, state, proof.claims, nowMs); // 6
    if (gate.kind === "stale") return STALE;
    if (gate.kind === "refused") return refuse(gate.reason, proof.claims.jti);
    const granted = steps.binding.grantedScopes(state, subject);
    const policy = checkPolicy(state.capabilities, granted, input); // 7
    if (policy !== undefined) return refuse(policy, proof.claims.jti);
    const trust = await steps.trust.score(state); // 8
    return done({ reason: "verified", subject, granted, trust, jti: proof.claims.jti });
  }
}

function refusal(reason: RefusalCode, subject: Subject | undefined, jti?: string): Outcome {
  return { reason, subject, granted: [], trust: undefined, jti };
}
