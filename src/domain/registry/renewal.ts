/** Credential issuing on demand: by an admin, or by the agent itself with a single-use renewal proof. */
import type { Clock } from "../clock.js";
import { DomainError, invalidField } from "../errors.js";
import type { IssuedCredential } from "../issuer/credentials.js";
import type { Agent } from "../model.js";
import type { Actor } from "../peer.js";
import type { UnitOfWork } from "../storage.js";
import { answerFault, checkToken, PROOF, tokenHash, verificationKey } from "../tokens/index.js";
import { nonceTtlMsFor, withinWindow, type Admission, type AgentVersionSink, type ProofWindow } from "../verify/index.js";
import { requireAdminFor } from "./access.js";
import type { AgentService } from "./agent-service.js";
import type { CredentialMinting } from "./credential-minting.js";
import { requireAgentId } from "./org-service.js";

/** The op, scope and ath a renewal proof signs (docs/proof-format.md, "Credential renewal"). */
export const RENEWAL_OP = "credential.renew";
export const RENEWAL_SCOPE = "agent.credential";
export function renewalAth(agentId: string): string {
  return tokenHash(agentId);
}

export interface RenewalDeps {
  readonly uow: UnitOfWork;
  readonly clock: Clock;
  readonly agents: AgentService;
  readonly minting: CredentialMinting;
  readonly gate: Admission & AgentVersionSink;
  readonly serviceAudience: string;
  /** PROOF_MAX_AGE_SECONDS, PROOF_FUTURE_SKEW_SECONDS */
  readonly proofWindow: ProofWindow;
  /** Renewals allowed per agent per minute (shares the agent's limit window keyspace with nothing else). */
  readonly renewalsPerMinute: number;
}

export class CredentialRenewal {
  constructor(private readonly deps: RenewalDeps) {}

  /** With an admin token: issue for any active agent in the admin's scope. Otherwise `proof` is required. */
  async issue(actor: Actor, agentId: string, proof: string): Promise<IssuedCredential> {
    requireAgentId(agentId);
    const agent = await this.deps.agents.requireAgent(agentId);
    let auditActor = actor;
    if (actor.admin !== undefined) {
      requireAdminFor(actor, agent.orgId);
    } else {
      if (proof === "") throw invalidField("credential.proof_required", "proof", "is required without an admin token");
      await this.checkRenewalProof(agent, proof);
      auditActor = { ...actor, identity: `agent:${agent.id}` };
    }
    if (agent.status !== "active") throw new DomainError("failed_precondition", "agent.revoked", "agent is revoked");
    const credential = await this.deps.minting.sign(agent);
    await this.deps.uow.run(async (tx) => {
      await this.deps.minting.record(tx, auditActor, agent, credential, actor.admin !== undefined ? "admin" : "self_renewal");
    });
    return credential;
  }

  private async checkRenewalProof(agent: Agent, proof: string): Promise<void> {
    const refuse = (why: string): never => {
      throw new DomainError("unauthenticated", "credential.renewal_refused", `renewal proof refused: ${why}`);
    };
    if (agent.status !== "active") refuse("agent is revoked");
    const key = verificationKey(agent.publicJwk);
    const checked = checkToken(PROOF, proof, () => key);
    if (!checked.ok) return refuse(answerFault(PROOF, checked, "proof"));
    const claims = checked.claims;
    const nowMs = this.deps.clock.nowMs();
    if (!withinWindow(claims.iat, nowMs, this.deps.proofWindow)) refuse("stale_proof");
    if (claims.aud !== this.deps.serviceAudience) refuse("audience_mismatch");
    if (claims.op !== RENEWAL_OP || claims.scope !== RENEWAL_SCOPE || claims.amt !== 0) refuse("request_mismatch");
    if (claims.ath !== renewalAth(agent.id)) refuse("credential_mismatch");
    const request = {
      callerKey: `renew:${agent.id}`,
      agentId: agent.id,
      jti: claims.jti,
      callerLimitPerMinute: this.deps.renewalsPerMinute,
      agentLimitPerMinute: Number.MAX_SAFE_INTEGER,
      nonceTtlMs: nonceTtlMsFor(this.deps.proofWindow.maxAgeSeconds, this.deps.proofWindow.futureSkewSeconds),
      proofIatMs: claims.iat * 1000,
      epochGraceMs: this.deps.proofWindow.futureSkewSeconds * 1000,
      nowMs,
    };
    let outcome = await this.deps.gate.admit({ ...request, agentStateVersion: agent.stateVersion });
    if (outcome.outcome === "stale_state") {
      // The shared store did not know this version yet (fresh store): record the database's and retry once.
      await this.deps.gate.setAgentVersion(agent.id, agent.stateVersion);
      outcome = await this.deps.gate.admit({ ...request, agentStateVersion: agent.stateVersion });
    }
    switch (outcome.outcome) {
      case "admitted":
        return;
      case "replay":
      case "before_epoch":
        refuse("nonce_replay");
        return;
      case "rate_limited":
        throw new DomainError("resource_exhausted", "credential.renewal_rate_limited", "too many renewals", {
          retryAfterMs: outcome.retryAfterMs,
        });
      case "stale_state":
        throw new DomainError("aborted", "agent.concurrent_change", "agent changed concurrently; retry");
    }
  }
}
