/** VerifyHandshake (typ "agent-handshake+jwt"): the Verify steps with a handshake for a proof, answered with a session proposal. */
import type { FieldViolation } from "../errors.js";
import type { AgentState } from "../model.js";
import { HANDSHAKE } from "../tokens/index.js";
import type { TrustScore } from "../trust/score.js";
import type { Reason, ReasonCode, RefusalCode } from "./reasons.js";
import { done, STALE, type Attempt } from "./steps/agent-binding.js";
import type { DecisionOutcome } from "./steps/decision-log.js";
import { takeGuard, type VerifySteps } from "./steps/index.js";
import { checkTokenField, throwViolations } from "./steps/input-bounds.js";
import type { Subject } from "./steps/subject.js";
import type { SessionProposal, SessionProposals } from "./session-proposals.js";

export interface HandshakeInput {
  readonly caller: string;
  readonly credential: string;
  readonly handshake: string;
  /** The request id, written with the decision to the audit log. */
  readonly requestId?: string;
}

export interface HandshakeDecision {
  readonly valid: boolean;
  readonly reason: Reason;
  readonly reasonCode: ReasonCode;
  readonly agentId: string | undefined;
  readonly orgId: string | undefined;
  readonly proposal: SessionProposal | undefined;
  readonly trust: TrustScore | undefined;
  readonly decisionId: string;
}

interface Outcome extends DecisionOutcome {
  readonly requested: readonly string[] | undefined;
  readonly proposal: SessionProposal | undefined;
}

function refusal(reason: RefusalCode, subject: Subject | undefined, requested?: readonly string[], jti?: string): Outcome {
  return { reason, subject, requested, jti, proposal: undefined, trust: undefined };
}

export class Handshakes {
  constructor(
    private readonly steps: VerifySteps,
    private readonly proposals: SessionProposals,
  ) {}

  /** Credential + agent-signed handshake -> a single-use session proposal for the accepted scopes. */
  async verifyHandshake(input: HandshakeInput): Promise<HandshakeDecision> {
    const steps = this.steps;
    const v: FieldViolation[] = [];
    checkTokenField(v, "credential", input.credential);
    checkTokenField(v, "handshake", input.handshake);
    throwViolations("verify.invalid_handshake", v); // 1
    takeGuard(steps, input.caller, "verify_handshake"); // 2
    const resolved = await steps.subjects.resolve({ kind: "credential", token: input.credential }, input.caller); // 3
    const outcome: Outcome = resolved.ok
      ? await steps.binding.decide<Outcome>(resolved.subject, () => refusal("unknown_agent", resolved.subject), (state) =>
          this.againstState(input, resolved.subject, state),
        )
      : refusal(resolved.reason, undefined);
    const answer = await steps.log.record("handshake", input, outcome, {
      scope: undefined,
      operation: undefined,
      amountMinor: undefined,
      currency: undefined,
      requestedScopes: outcome.requested,
    }); // 9
    return { ...answer, proposal: outcome.proposal };
  }

  private async againstState(input: HandshakeInput, subject: Subject, state: AgentState): Promise<Attempt<Outcome>> {
    const steps = this.steps;
    const bound = steps.binding.refusal(state, subject); // 4
    if (bound !== undefined) return done(refusal(bound, subject));
    const nowMs = steps.clock.nowMs();
    const hs = steps.proofs.check(HANDSHAKE, input.handshake, "handshake", state, {
      boundTo: input.credential,
      audiences: steps.audiencesOf(input.caller),
      nowMs,
    }); // 5
    if (!hs.ok) return done(refusal(hs.reason, subject, hs.claims?.scopes, hs.jti));
    const { jti, scopes: requested } = hs.claims;
    const gate = await steps.gate.pass("verify_handshake", input.caller, state, hs.claims, nowMs); // 6
    if (gate.kind === "stale") return STALE;
    if (gate.kind === "refused") return done(refusal(gate.reason, subject, requested, jti));
    const manifest = state.capabilities.scopes; // 7
    const accepted = requested.filter((s) => manifest.includes(s));
    if (accepted.length === 0) return done(refusal("scope_not_granted", subject, requested, jti));
    const declined = requested.filter((s) => !manifest.includes(s));
    const proposal = await this.proposals.propose(input.caller, state, accepted, declined, nowMs);
    const trust = await steps.trust.score(state); // 8
    return done({ reason: "verified", subject, requested, jti, proposal, trust });
  }
}
