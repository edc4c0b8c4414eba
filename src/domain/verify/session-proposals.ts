/** Session proposals: stored by a verified handshake, redeemed once by CreateSession for a signed session token. */
import type { Clock } from "../clock.js";
import { DomainError, invalidField, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { AgentState } from "../model.js";
import type { AgentStates, ProposalStore } from "./ports.js";
import type { SessionTokens } from "./session.js";

export interface SessionProposal {
  readonly proposalId: string;
  readonly acceptedScopes: readonly string[];
  readonly declinedScopes: readonly string[];
  readonly sessionTtlSeconds: number;
  readonly expiresAtMs: number;
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

export interface SessionSettings {
  /** SESSION_TTL_SECONDS */
  readonly sessionTtlSeconds: number;
  /** How long a handshake's proposal may be redeemed (SESSION_PROPOSAL_TTL_SECONDS). */
  readonly proposalTtlSeconds: number;
}

export class SessionProposals {
  constructor(
    private readonly store: ProposalStore,
    private readonly agents: AgentStates,
    private readonly tokens: SessionTokens,
    private readonly clock: Clock,
    private readonly settings: SessionSettings,
  ) {}

  /** Stores a proposal for the relying party and the agent's current key and manifest. */
  async propose(relyingParty: string, state: AgentState, accepted: readonly string[], declined: readonly string[], nowMs: number): Promise<SessionProposal> {
    const proposalId = newId("prp");
    const ttlMs = this.settings.proposalTtlSeconds * 1000;
    const stored: StoredProposal = {
      relyingParty,
      agentId: state.agentId,
      orgId: state.orgId,
      jkt: state.keyThumbprint,
      capHash: state.manifestHash,
      scopes: accepted,
      sessionTtlSeconds: this.settings.sessionTtlSeconds,
    };
    await this.store.putProposal(proposalId, JSON.stringify(stored), ttlMs);
    return { proposalId, acceptedScopes: accepted, declinedScopes: declined, sessionTtlSeconds: stored.sessionTtlSeconds, expiresAtMs: nowMs + ttlMs };
  }

  /**
   * CreateSession: consumes the proposal (single use) and signs the session token. Only the relying party
   * that ran the handshake may redeem it; a redemption by anyone else destroys it (permission_denied). The
   * agent must still be active with the same key and manifest.
   */
  async createSession(input: CreateSessionInput): Promise<SessionGrant> {
    if (!/^prp_[0-9a-z]{26}$/.test(input.proposalId)) throw invalidField("session.invalid_proposal_id", "proposal_id", "not a proposal id");
    const text = await this.store.takeProposal(input.proposalId);
    if (text === undefined) throw notFound("session.proposal_not_found", "proposal");
    const p = JSON.parse(text) as StoredProposal;
    if (p.relyingParty !== input.caller) {
      throw new DomainError("permission_denied", "session.proposal_other_party", "proposal belongs to another relying party");
    }
    const scopes = input.scopes.length === 0 ? [...p.scopes] : [...new Set(input.scopes)];
    const extra = scopes.filter((s) => !p.scopes.includes(s));
    if (extra.length > 0) throw invalidField("session.scope_not_accepted", "scopes", `not accepted: ${extra.join(", ")}`);
    const state = await this.agents.get(p.agentId);
    if (state === undefined || state.status !== "active" || state.keyThumbprint !== p.jkt || state.manifestHash !== p.capHash) {
      throw new DomainError("failed_precondition", "session.agent_changed", "agent changed since the handshake");
    }
    const iat = Math.floor(this.clock.nowMs() / 1000);
    const exp = iat + p.sessionTtlSeconds;
    const sessionId = newId("ses");
    const sessionToken = await this.tokens.sign({ aud: input.caller, sub: p.agentId, sid: sessionId, org_id: p.orgId, scopes, cnf: { jkt: p.jkt }, cap: p.capHash, iat, exp });
    return { sessionToken, sessionId, scopes, expiresAtMs: exp * 1000 };
  }
}
