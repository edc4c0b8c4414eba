/** Ports the Verify path reports through: the decision recorder (audit) and the metrics callbacks. */
import type { ErrorKind } from "../errors.js";
import type { ReasonCode } from "./reasons.js";

/** One verification decision as written to the audit log (action "verify.decision" / "handshake.decision"). */
export interface DecisionRecord {
  readonly kind: "verify" | "handshake";
  readonly atMs: number;
  /** The relying party's identity. */
  readonly caller: string;
  readonly valid: boolean;
  readonly reasonCode: ReasonCode;
  readonly agentId: string | undefined;
  readonly orgId: string | undefined;
  /** Verify: what the relying party asked about. */
  readonly scope: string | undefined;
  readonly operation: string | undefined;
  readonly amountMinor: bigint | undefined;
  readonly currency: string | undefined;
  /** Handshake: the requested scopes. */
  readonly requestedScopes: readonly string[] | undefined;
  /** jti of the proof or handshake, when it was read. */
  readonly jti: string | undefined;
  /** Session id when a session token was presented. */
  readonly sessionId: string | undefined;
  readonly trustScore: number | undefined;
  /** The request id of the call that produced the decision. */
  readonly requestId?: string;
}

/** Records a decision (group-commit audit writer) and returns its audit event id. */
export interface DecisionRecorder {
  record(decision: DecisionRecord): Promise<{ decisionId: string }>;
}

/** Endpoints of the rate-limit metric's `endpoint` label. */
export type LimitedEndpoint = "verify" | "verify_handshake";

/**
 * Metrics callbacks (telemetry/verify-metrics.ts wires them to prom-client, where valid becomes the label
 * result="success" and invalid or error result="failure"); reason: a REASON_CODES entry, or the ErrorKind of an error.
 */
export interface VerifyMetrics {
  verifyResult(result: "valid" | "invalid" | "error", reason: ReasonCode | ErrorKind, durationSeconds: number): void;
  replayDenied(): void;
  rateLimited(endpoint: LimitedEndpoint): void;
  trustComputed(durationSeconds: number): void;
}

export const noMetrics: VerifyMetrics = {
  verifyResult: () => undefined,
  replayDenied: () => undefined,
  rateLimited: () => undefined,
  trustComputed: () => undefined,
};
