/** The Verify orchestrator: DESIGN.md section 4, step by step, returning a decision (or a DomainError for envelope faults). */
import { isDomainError, invalidFields, type FieldViolation } from "../errors.js";
import type { TrustScore } from "../trust/score.js";
import {
  audiencesOf,
  grantedScopes,
  passGate,
  recordDecision,
  resolveSubject,
  stateRefusal,
  trustOf,
  withAgentState,
  type Presented,
  type Subject,
} from "./binding.js";
import type { VerifierDeps } from "./deps.js";
import type { LimitedEndpoint } from "./ports.js";
import { checkPolicy } from "./policy.js";
import { checkProofClaims, readProofClaims, verifyAgentJws, PROOF_TYP, type ProofClaims } from "./proof.js";
import type { Reason, ReasonCode, RefusalCode } from "./reasons.js";
import { isCurrency, isScope, tokenFault } from "./syntax.js";

export interface VerifyInput {
  /** The relying party: the mTLS peer identity. */
  readonly caller: string;
  /** The credential or session token; undefined when the request set neither. */
  readonly presented: Presented | undefined;
  readonly proof: string;
  readonly scope: string;
  readonly operation: string;
  readonly amountMinor: bigint;
  readonly currency: string;
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
  /** Set when valid. */
  readonly trust: TrustScore | undefined;
  readonly decisionId: string;
}

/** Envelope checks (INVALID_ARGUMENT naming each wrong field, proto field names). */
export function boundVerifyInput(input: VerifyInput): void {
  const v: FieldViolation[] = [];
  if (input.presented === undefined) {
    v.push({ field: "credential", description: "credential or session_token required" });
  } else {
    const fault = tokenFault(input.presented.token);
    if (fault !== undefined) v.push({ field: input.presented.kind === "credential" ? "credential" : "session_token", description: fault });
  }
  const proofFault = tokenFault(input.proof);
  if (proofFault !== undefined) v.push({ field: "proof", description: proofFault });
  if (!isScope(input.scope)) v.push({ field: "scope", description: "must match [A-Za-z0-9._:/-]{1,128}" });
  if (!isScope(input.operation)) v.push({ field: "operation", description: "must match [A-Za-z0-9._:/-]{1,128}" });
  if (input.amountMinor < 0n) v.push({ field: "amount_minor", description: "must be >= 0" });
  else if (input.amountMinor > BigInt(Number.MAX_SAFE_INTEGER)) v.push({ field: "amount_minor", description: "too large" });
  if (input.currency === "") {
    if (input.amountMinor > 0n) v.push({ field: "currency", description: "required when amount_minor > 0" });
  } else if (!isCurrency(input.currency)) {
    v.push({ field: "currency", description: "must be an ISO 4217 code (three upper-case letters)" });
  }
  const error = invalidFields("verify.invalid_request", v);
  if (error !== undefined) throw error;
}

interface Outcome {
  readonly reason: RefusalCode | "verified";
  readonly subject: Subject | undefined;
  readonly granted: readonly string[];
  readonly trust: TrustScore | undefined;
  readonly jti: string | undefined;
}

/** The coarse per-caller guard; a refusal counts as a rate-limit hit on its endpoint. */
export function takeGuard(deps: VerifierDeps, caller: string, endpoint: LimitedEndpoint): void {
  try {
    deps.guard.take(caller);
  } catch (e) {
    if (isDomainError(e) && e.kind === "resource_exhausted") deps.metrics.rateLimited(endpoint);
    throw e;
  }
}

export class Verifier {
  constructor(private readonly deps: VerifierDeps) {}

  /**
   * Decides one Verify request. Throws DomainError for invalid_argument (envelope), resource_exhausted
   * (caller guard or rate limits, with retryAfterMs) and unavailable (stores down: fail closed).
   */
  async verify(input: VerifyInput): Promise<VerifyDecision> {
    const mono = this.deps.monotonicMs ?? (() => performance.now());
    const started = mono();
    try {
      const decision = await this.decide(input);
      this.deps.metrics.verifyResult(decision.valid ? "valid" : "invalid", decision.reasonCode, (mono() - started) / 1000);
      return decision;
    } catch (e) {
      this.deps.metrics.verifyResult("error", isDomainError(e) ? e.kind : "internal", (mono() - started) / 1000);
      throw e;
    }
  }

  private async decide(input: VerifyInput): Promise<VerifyDecision> {
    boundVerifyInput(input);
    takeGuard(this.deps, input.caller, "verify");
    const presented = input.presented as Presented;
    const outcome = await this.evaluate(input, presented);
    const answer = await recordDecision(this.deps, "verify", input, outcome, {
      scope: input.scope,
      operation: input.operation,
      amountMinor: input.amountMinor,
      currency: input.currency,
      requestedScopes: undefined,
    });
    return { ...answer, grantedScopes: outcome.granted };
  }

  private async evaluate(input: VerifyInput, presented: Presented): Promise<Outcome> {
    const deps = this.deps;
    const resolved = await resolveSubject(deps, presented, input.caller);
    if (!resolved.ok) return { reason: resolved.reason, subject: undefined, granted: [], trust: undefined, jti: undefined };
    const subject = resolved.subject;
    const refuse = (reason: RefusalCode, jti?: string): Outcome => ({ reason, subject, granted: [], trust: undefined, jti });
    return withAgentState<Outcome>(deps, subject, () => refuse("unknown_agent"), async (state) => {
      // Every answer about a known agent carries its trust score, refusals included.
      const refuseKnown = async (reason: RefusalCode, jti?: string) =>
        ({ kind: "done", value: { ...refuse(reason, jti), trust: await trustOf(deps, state) } }) as const;
      const bound = stateRefusal(state, subject);
      if (bound !== undefined) return refuseKnown(bound);
      const signed = await verifyAgentJws(input.proof, state.publicJwk, PROOF_TYP, "proof");
      if (!signed.ok) return refuseKnown(signed.reason);
      const claims: ProofClaims = readProofClaims(signed.payload);
      const claimRefusal = checkProofClaims(claims, {
        presentedToken: presented.token,
        audiences: audiencesOf(deps, input.caller),
        scope: input.scope,
        operation: input.operation,
        amountMinor: input.amountMinor,
        currency: input.currency,
        nowMs: deps.clock.nowMs(),
        window: deps.settings.proofWindow,
      });
      if (claimRefusal !== undefined) return refuseKnown(claimRefusal, claims.jti);
      const gate = await passGate(deps, "verify", input.caller, state, claims.jti, claims.iat);
      if (gate.kind === "stale") return { kind: "stale" };
      if (gate.kind === "refused") return refuseKnown(gate.reason, claims.jti);
      const granted = grantedScopes(state, subject);
      const policyRefusal = checkPolicy(state.capabilities, granted, input);
      if (policyRefusal !== undefined) return refuseKnown(policyRefusal, claims.jti);
      const trust = await trustOf(deps, state);
      return { kind: "done", value: { reason: "verified", subject, granted, trust, jti: claims.jti } };
    });
  }
}
