/** Handshakes (typ "agent-handshake+jwt") answered with a single-use session proposal, and CreateSession. */
import { DomainError, invalidField, invalidFields, notFound, type FieldViolation } from "../errors.js";
import { newId } from "../ids.js";
import type { TrustScore } from "../trust/score.js";
import { audiencesOf, passGate, recordDecision, resolveSubject, stateRefusal, trustOf, withAgentState, type Subject } from "./binding.js";
import type { VerifierDeps } from "./deps.js";
import { takeGuard } from "./verifier.js";
import { readReplayClaims, verifyAgentJws } from "./proof.js";
import { withinProofWindow } from "./proof-window.js";
import type { Reason, ReasonCode, RefusalCode } from "./reasons.js";
import { signSessionToken } from "./session.js";
import { isScope, tokenFault, tokenHash } from "./syntax.js";

export const HANDSHAKE_TYP = "agent-handshake+jwt";
/** Most scopes one handshake may request. */
export const MAX_REQUESTED_SCOPES = 64;

export interface HandshakeInput {
  readonly caller: string;
  readonly credential: string;
  readonly handshake: string;
  /** The request id, written with the decision to the audit log. */
  readonly requestId?: string;
}

export interface SessionProposal {
  readonly proposalId: string;
  readonly acceptedScopes: readonly string[];
  readonly declinedScopes: readonly string[];
  readonly sessionTtlSeconds: number;
  readonly expiresAtMs: number;
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

/** What a proposal stores (JSON) until CreateSession consumes it. */
interface StoredProposal {
  readonly relyingParty: string;
  readonly agentId: string;
  readonly orgId: string;
  readonly jkt: string;
  readonly capHash: string;
  readonly scopes: readonly string[];
  readonly sessionTtlSeconds: number;
}

export interface CreateSessionInput {
  readonly caller: string;
  readonly proposalId: string;
  /** Subset of the accepted scopes; empty = all of them. */
  readonly scopes: readonly string[];
}

export interface SessionGrant {
  readonly sessionToken: string;
  readonly sessionId: string;
  readonly scopes: readonly string[];
  readonly expiresAtMs: number;
}

interface Outcome {
  readonly reason: RefusalCode | "verified";
  readonly subject: Subject | undefined;
  readonly requested: readonly string[] | undefined;
  readonly jti: string | undefined;
  readonly proposal: SessionProposal | undefined;
  readonly trust: TrustScore | undefined;
}

function readRequestedScopes(payload: Record<string, unknown>): string[] {
  const scopes = payload.scopes;
  if (
    !Array.isArray(scopes) ||
    scopes.length === 0 ||
    scopes.length > MAX_REQUESTED_SCOPES ||
    !scopes.every((s): s is string => typeof s === "string" && isScope(s))
  ) {
    throw invalidField("verify.malformed_handshake", "handshake", "claim scopes must be 1..64 scopes");
  }
  return [...new Set(scopes)];
}

export class HandshakeService {
  constructor(private readonly deps: VerifierDeps) {}

  /** VerifyHandshake: credential + agent-signed handshake -> a single-use session proposal. */
  async verifyHandshake(input: HandshakeInput): Promise<HandshakeDecision> {
    const v: FieldViolation[] = [];
    const cf = tokenFault(input.credential);
    if (cf !== undefined) v.push({ field: "credential", description: cf });
    const hf = tokenFault(input.handshake);
    if (hf !== undefined) v.push({ field: "handshake", description: hf });
    const error = invalidFields("verify.invalid_handshake", v);
    if (error !== undefined) throw error;
    takeGuard(this.deps, input.caller, "verify_handshake");
    const outcome = await this.evaluate(input);
    const answer = await recordDecision(this.deps, "handshake", input, outcome, {
      scope: undefined,
      operation: undefined,
      amountMinor: undefined,
      currency: undefined,
      requestedScopes: outcome.requested,
    });
    return { ...answer, proposal: outcome.proposal };
  }

  private async evaluate(input: HandshakeInput): Promise<Outcome> {
    const deps = this.deps;
    const resolved = await resolveSubject(deps, { kind: "credential", token: input.credential }, input.caller);
    const none = { requested: undefined, jti: undefined, proposal: undefined, trust: undefined };
    if (!resolved.ok) return { ...none, reason: resolved.reason, subject: undefined };
    const subject = resolved.subject;
    const refuse = (reason: RefusalCode, requested?: readonly string[], jti?: string): Outcome => ({ ...none, reason, subject, requested, jti });
    return withAgentState<Outcome>(deps, subject, () => refuse("unknown_agent"), async (state) => {
      const bound = stateRefusal(state, subject);
      if (bound !== undefined) return { kind: "done", value: refuse(bound) };
      const signed = await verifyAgentJws(input.handshake, state.publicJwk, HANDSHAKE_TYP, "handshake");
      if (!signed.ok) return { kind: "done", value: refuse(signed.reason) };
      const claims = readReplayClaims(signed.payload, "handshake");
      const requested = readRequestedScopes(signed.payload);
      const nowMs = deps.clock.nowMs();
      let refusal: RefusalCode | undefined;
      if (!withinProofWindow(claims.iat, nowMs, deps.settings.proofWindow)) refusal = "stale_proof";
      else if (claims.ath !== tokenHash(input.credential)) refusal = "credential_mismatch";
      else if (!audiencesOf(deps, input.caller).includes(claims.aud)) refusal = "audience_mismatch";
      if (refusal !== undefined) return { kind: "done", value: refuse(refusal, requested, claims.jti) };
      const gate = await passGate(deps, "verify_handshake", input.caller, state, claims.jti, claims.iat);
      if (gate.kind === "stale") return { kind: "stale" };
      if (gate.kind === "refused") return { kind: "done", value: refuse(gate.reason, requested, claims.jti) };
      const manifest = state.capabilities.scopes;
      const accepted = requested.filter((s) => manifest.includes(s));
      const declined = requested.filter((s) => !manifest.includes(s));
      if (accepted.length === 0) return { kind: "done", value: refuse("scope_not_granted", requested, claims.jti) };
      const proposalId = newId("prp");
      const ttlMs = deps.settings.proposalTtlSeconds * 1000;
      const stored: StoredProposal = {
        relyingParty: input.caller,
        agentId: state.agentId,
        orgId: state.orgId,
        jkt: state.keyThumbprint,
        capHash: state.manifestHash,
        scopes: accepted,
        sessionTtlSeconds: deps.settings.sessionTtlSeconds,
      };
      await deps.gate.putProposal(proposalId, JSON.stringify(stored), ttlMs);
      const proposal: SessionProposal = {
        proposalId,
        acceptedScopes: accepted,
        declinedScopes: declined,
        sessionTtlSeconds: deps.settings.sessionTtlSeconds,
        expiresAtMs: nowMs + ttlMs,
      };
      const trust = await trustOf(deps, state);
      return { kind: "done", value: { reason: "verified", subject, requested, jti: claims.jti, proposal, trust } };
    });
  }

  /**
   * CreateSession: consumes the proposal (single use, GETDEL) and signs the session token. Only the relying
   * party that ran the handshake may redeem it; a redemption by anyone else destroys it (permission_denied).
   * The agent must still be active with the same key and manifest.
   */
  async createSession(input: CreateSessionInput): Promise<SessionGrant> {
    const deps = this.deps;
    if (!/^prp_[0-9a-z]{26}$/.test(input.proposalId)) {
      throw invalidField("session.invalid_proposal_id", "proposal_id", "not a proposal id");
    }
    const text = await deps.gate.takeProposal(input.proposalId);
    if (text === undefined) throw notFound("session.proposal_not_found", "proposal");
    const p = JSON.parse(text) as StoredProposal;
    if (p.relyingParty !== input.caller) {
      throw new DomainError("permission_denied", "session.proposal_other_party", "proposal belongs to another relying party");
    }
    const scopes = input.scopes.length === 0 ? [...p.scopes] : [...new Set(input.scopes)];
    const extra = scopes.filter((s) => !p.scopes.includes(s));
    if (extra.length > 0) throw invalidField("session.scope_not_accepted", "scopes", `not accepted: ${extra.join(", ")}`);
    const state = await deps.agents.get(p.agentId);
    if (state === undefined || state.status !== "active" || state.keyThumbprint !== p.jkt || state.manifestHash !== p.capHash) {
      throw new DomainError("failed_precondition", "session.agent_changed", "agent changed since the handshake");
    }
    const nowMs = deps.clock.nowMs();
    const iatSeconds = Math.floor(nowMs / 1000);
    const expSeconds = iatSeconds + p.sessionTtlSeconds;
    const sessionId = newId("ses");
    const sessionToken = await signSessionToken(deps.sessionKeys, deps.settings.issuerUrl, {
      agentId: p.agentId,
      orgId: p.orgId,
      sid: sessionId,
      audience: input.caller,
      scopes,
      jkt: p.jkt,
      capHash: p.capHash,
      iatSeconds,
      expSeconds,
    });
    return { sessionToken, sessionId, scopes, expiresAtMs: expSeconds * 1000 };
  }
}
