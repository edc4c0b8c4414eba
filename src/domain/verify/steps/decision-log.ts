/** Step 9: record the decision (acknowledged once its audit batch commits) and shape the answer (DecisionLog). */
import type { Clock } from "../../clock.js";
import type { TrustScore } from "../../trust/score.js";
import type { DecisionRecord, DecisionRecorder } from "../ports.js";
import { reasonOf, type Reason, type ReasonCode, type RefusalCode } from "../reasons.js";
import type { Subject } from "./subject.js";

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

export class DecisionLog {
  constructor(
    private readonly recorder: DecisionRecorder,
    private readonly clock: Clock,
  ) {}

  async record(
    kind: DecisionRecord["kind"],
    who: { readonly caller: string; readonly requestId?: string },
    outcome: DecisionOutcome,
    request: DecisionRequest,
  ): Promise<DecisionAnswer> {
    const valid = outcome.reason === "verified";
    const { decisionId } = await this.recorder.record({
      kind,
      requestId: who.requestId,
      atMs: this.clock.nowMs(),
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
}
