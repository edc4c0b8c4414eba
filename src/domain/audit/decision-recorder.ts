/** Writes Verify and handshake decisions to the audit chain through the group-commit writer. */
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import type { JsonObject } from "../json.js";
import type { DecisionWriter } from "./decision-writer.js";

/**
 * A Verify or handshake decision as the audit log records it (action "verify.decision" / "handshake.decision").
 * The Verify path's decision records satisfy it; the audit log owns the format.
 */
interface AuditedDecision {
  readonly kind: "verify" | "handshake";
  readonly atMs?: number;
  /** The relying party's identity: the event's actor. */
  readonly caller: string;
  readonly valid: boolean;
  readonly reasonCode: string;
  readonly agentId: string | undefined;
  readonly orgId: string | undefined;
  readonly scope?: string | undefined;
  readonly operation?: string | undefined;
  readonly amountMinor?: bigint | undefined;
  readonly currency?: string | undefined;
  readonly requestedScopes?: readonly string[] | undefined;
  readonly jti?: string | undefined;
  readonly sessionId?: string | undefined;
  readonly trustScore?: number | undefined;
  readonly requestId?: string;
}

/** Records a decision and returns its audit event id. */
interface AuditDecisionRecorder {
  record(decision: AuditedDecision): Promise<{ decisionId: string }>;
}

/** The audit action of each decision kind; ReportTelemetry looks decisions up by it. */
const DECISION_ACTIONS = { verify: "verify.decision", handshake: "handshake.decision" } as const;

function decisionDetails(d: AuditedDecision): JsonObject {
  const details: Record<string, JsonObject[string]> = { valid: d.valid, reason_code: d.reasonCode };
  if (d.scope !== undefined) details["scope"] = d.scope;
  if (d.operation !== undefined) details["operation"] = d.operation;
  if (d.amountMinor !== undefined) details["amount_minor"] = d.amountMinor.toString();
  if (d.currency !== undefined && d.currency !== "") details["currency"] = d.currency;
  if (d.requestedScopes !== undefined) details["requested_scopes"] = [...d.requestedScopes];
  if (d.jti !== undefined) details["jti"] = d.jti;
  if (d.sessionId !== undefined) details["session_id"] = d.sessionId;
  if (d.trustScore !== undefined) details["trust_score"] = d.trustScore.toFixed(2);
  return details;
}

/** A DecisionRecorder whose decisions are acknowledged only once their batch has committed. */
export function auditDecisionRecorder(writer: DecisionWriter, clock: Clock): AuditDecisionRecorder {
  return {
    async record(d) {
      const id = newId("evt");
      await writer.write({
        id,
        timeMs: d.atMs ?? clock.nowMs(),
        actor: d.caller,
        action: DECISION_ACTIONS[d.kind],
        target: d.agentId ?? "",
        orgId: d.orgId,
        requestId: d.requestId ?? "",
        details: decisionDetails(d),
      });
      return { decisionId: id };
    },
  };
}
