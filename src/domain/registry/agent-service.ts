/** Agent lifecycle: register, revoke, rotate key, update capabilities, read and list. One transaction each. */
import type { JsonObject } from "../audit/canonical-json.js";
import type { Clock } from "../clock.js";
import { DomainError, invalidFields, notFound, type FieldViolation } from "../errors.js";
import { newId } from "../ids.js";
import type { IssuedCredential } from "../issuer/credentials.js";
import { parseAgentPublicJwk } from "../keys/agent-jwk.js";
import { verifyPossessionProof } from "../keys/possession-proof.js";
import { jwkThumbprint } from "../keys/thumbprint.js";
import type { Agent, AgentStatus, CapabilityManifest, Page } from "../model.js";
import type { Actor } from "../peer.js";
import type { ProofWindow } from "../verify/index.js";
import type { PageRequest, ReadStores, Stores, UnitOfWork } from "../storage.js";
import { requireAdminFor, requireReadAccess, type RelyingPartyOrgs } from "./access.js";
import type { CredentialMinting } from "./credential-minting.js";
import { manifestHash } from "./manifest-hash.js";
import { requireAgentId, requireOrgId } from "./org-service.js";
import type { AgentChangePropagator } from "./propagation.js";
import { checkManifest, checkMetadata, checkName, checkReason, normalizeManifest } from "./validation.js";

export interface AgentServiceDeps {
  readonly uow: UnitOfWork;
  readonly reads: ReadStores;
  readonly clock: Clock;
  readonly minting: CredentialMinting;
  readonly propagator: AgentChangePropagator;
  /** The audience of possession proofs (the issuer URL). */
  readonly serviceAudience: string;
  /** PROOF_MAX_AGE_SECONDS, PROOF_FUTURE_SKEW_SECONDS (possession proofs share the window). */
  readonly proofWindow: ProofWindow;
  readonly relyingPartyOrgs: RelyingPartyOrgs;
}

export interface RegisterAgentInput {
  readonly orgId: string;
  readonly displayName: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly publicJwk: string;
  readonly capabilities: CapabilityManifest | undefined;
  readonly possessionProof: string;
}

export interface AgentWithCredential {
  readonly agent: Agent;
  readonly credential: IssuedCredential;
}

export class AgentService {
  constructor(private readonly deps: AgentServiceDeps) {}

  async register(actor: Actor, input: RegisterAgentInput): Promise<AgentWithCredential> {
    requireOrgId(input.orgId);
    const violations: FieldViolation[] = [];
    checkName("display_name", input.displayName, violations);
    checkMetadata("metadata", input.metadata, violations);
    checkManifest("capabilities", input.capabilities, violations);
    if (input.possessionProof === "") violations.push({ field: "possession_proof", description: "is required" });
    const fault = invalidFields("agent.invalid", violations);
    if (fault) throw fault;
    requireAdminFor(actor, input.orgId);
    const publicJwk = parseAgentPublicJwk(input.publicJwk, "public_jwk");
    const nowMs = this.deps.clock.nowMs();
    await verifyPossessionProof(input.possessionProof, publicJwk, {
      op: "agent.register",
      audience: this.deps.serviceAudience,
      orgId: input.orgId,
      nowMs,
      ...this.deps.proofWindow,
    });
    const capabilities = normalizeManifest(input.capabilities!);
    const agent: Agent = {
      id: newId("agt"),
      orgId: input.orgId,
      displayName: input.displayName.trim(),
      metadata: { ...input.metadata },
      publicJwk,
      keyThumbprint: await jwkThumbprint(publicJwk),
      status: "active",
      capabilities,
      manifestHash: manifestHash(capabilities),
      stateVersion: 1,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
      revokedAtMs: undefined,
      revokeReason: undefined,
      revokedBy: undefined,
    };
    if ((await this.deps.reads.orgs.get(input.orgId)) === undefined) throw notFound("org.not_found", "org");
    const credential = await this.deps.minting.sign(agent);
    await this.deps.uow.run(async (tx) => {
      await tx.agents.insert(agent);
      recordAgentEvent(tx, actor, nowMs, "agent.registered", agent, {
        display_name: agent.displayName,
        key_thumbprint: agent.keyThumbprint,
        manifest_hash: agent.manifestHash,
      });
      await this.deps.minting.record(tx, actor, agent, credential, "register");
    });
    await this.deps.propagator.agentChanged(agent.id, agent.stateVersion);
    return { agent, credential };
  }

  async revoke(actor: Actor, agentId: string, reason: string): Promise<Agent> {
    requireAgentId(agentId);
    const violations: FieldViolation[] = [];
    checkReason("reason", reason, violations);
    const fault = invalidFields("agent.invalid", violations);
    if (fault) throw fault;
    const current = await this.requireAgent(agentId);
    requireAdminFor(actor, current.orgId);
    const nowMs = this.deps.clock.nowMs();
    const result = await this.deps.uow.run(async (tx) => {
      const revoked = await tx.agents.revoke(agentId, { by: actor.identity, reason: reason.trim(), atMs: nowMs });
      if (revoked.changed) {
        recordAgentEvent(tx, actor, nowMs, "agent.revoked", revoked.agent, {
          reason: reason.trim(),
          state_version: revoked.agent.stateVersion,
        });
      }
      return revoked;
    });
    // Always propagate, also for a repeated revoke: a retry heals a propagation that failed after commit.
    await this.deps.propagator.agentChanged(agentId, result.agent.stateVersion);
    return result.agent;
  }

  async rotateKey(actor: Actor, agentId: string, publicJwkText: string, possessionProof: string): Promise<AgentWithCredential> {
    requireAgentId(agentId);
    if (possessionProof === "") {
      throw new DomainError("invalid_argument", "agent.invalid", "invalid possession_proof: is required", {
        fieldViolations: [{ field: "possession_proof", description: "is required" }],
      });
    }
    const current = await this.requireAgent(agentId);
    requireAdminFor(actor, current.orgId);
    requireActive(current);
    const publicJwk = parseAgentPublicJwk(publicJwkText, "public_jwk");
    const thumbprint = await jwkThumbprint(publicJwk);
    if (thumbprint === current.keyThumbprint) {
      throw new DomainError("invalid_argument", "agent.key_unchanged", "invalid public_jwk: must differ from the current key", {
        fieldViolations: [{ field: "public_jwk", description: "must differ from the current key" }],
      });
    }
    const nowMs = this.deps.clock.nowMs();
    await verifyPossessionProof(possessionProof, publicJwk, {
      op: "agent.rotate_key",
      audience: this.deps.serviceAudience,
      agentId,
      nowMs,
      ...this.deps.proofWindow,
    });
    const credential = await this.deps.minting.sign({ ...current, keyThumbprint: thumbprint });
    const agent = await this.deps.uow.run(async (tx) => {
      const rotated = await tx.agents.rotateKey(agentId, { publicJwk, keyThumbprint: thumbprint, atMs: nowMs });
      requireUnchangedManifest(rotated, current.manifestHash);
      recordAgentEvent(tx, actor, nowMs, "agent.key_rotated", rotated, {
        old_key_thumbprint: current.keyThumbprint,
        key_thumbprint: thumbprint,
        state_version: rotated.stateVersion,
      });
      await this.deps.minting.record(tx, actor, rotated, credential, "rotate_key");
      return rotated;
    });
    await this.deps.propagator.agentChanged(agentId, agent.stateVersion);
    return { agent, credential };
  }

  async updateCapabilities(actor: Actor, agentId: string, manifest: CapabilityManifest | undefined): Promise<AgentWithCredential> {
    requireAgentId(agentId);
    const violations: FieldViolation[] = [];
    checkManifest("capabilities", manifest, violations);
    const fault = invalidFields("agent.invalid", violations);
    if (fault) throw fault;
    const current = await this.requireAgent(agentId);
    requireAdminFor(actor, current.orgId);
    requireActive(current);
    const capabilities = normalizeManifest(manifest!);
    const hash = manifestHash(capabilities);
    const nowMs = this.deps.clock.nowMs();
    const credential = await this.deps.minting.sign({ ...current, manifestHash: hash });
    const agent = await this.deps.uow.run(async (tx) => {
      const updated = await tx.agents.updateCapabilities(agentId, { capabilities, manifestHash: hash, atMs: nowMs });
      if (updated.keyThumbprint !== current.keyThumbprint) throw concurrentChange();
      recordAgentEvent(tx, actor, nowMs, "agent.capabilities_updated", updated, {
        old_manifest_hash: current.manifestHash,
        manifest_hash: hash,
        state_version: updated.stateVersion,
      });
      await this.deps.minting.record(tx, actor, updated, credential, "update_capabilities");
      return updated;
    });
    await this.deps.propagator.agentChanged(agentId, agent.stateVersion);
    return { agent, credential };
  }

  async get(actor: Actor, agentId: string): Promise<Agent> {
    requireAgentId(agentId);
    const agent = await this.requireAgent(agentId);
    requireReadAccess(actor, agent.orgId, this.deps.relyingPartyOrgs);
    return agent;
  }

  async list(actor: Actor, filter: PageRequest & { orgId?: string; status?: AgentStatus }): Promise<Page<Agent>> {
    const scoped = actor.admin?.orgId;
    let orgId = filter.orgId === "" ? undefined : filter.orgId;
    if (orgId !== undefined) requireOrgId(orgId);
    if (actor.admin !== undefined) {
      if (scoped !== undefined) {
        if (orgId !== undefined && orgId !== scoped) requireAdminFor(actor, orgId);
        orgId = scoped;
      }
    } else {
      // Relying parties list one of their configured orgs at a time.
      if (orgId === undefined) {
        throw new DomainError("invalid_argument", "agent.list_org_required", "invalid org_id: required for relying parties", {
          fieldViolations: [{ field: "org_id", description: "required for relying parties" }],
        });
      }
      requireReadAccess(actor, orgId, this.deps.relyingPartyOrgs);
    }
    return this.deps.reads.agents.list({ ...filter, orgId });
  }

  /** The stored agent or not_found. */
  async requireAgent(agentId: string): Promise<Agent> {
    const agent = await this.deps.reads.agents.get(agentId);
    if (agent === undefined) throw notFound("agent.not_found", "agent");
    return agent;
  }
}

/** Records a change to an agent in the transaction's audit log, by the calling actor. */
function recordAgentEvent(
  tx: Stores,
  actor: Actor,
  nowMs: number,
  action: string,
  agent: { readonly id: string; readonly orgId: string },
  details: JsonObject,
): void {
  tx.audit.record({
    id: newId("evt"),
    timeMs: nowMs,
    actor: actor.identity,
    action,
    target: agent.id,
    orgId: agent.orgId,
    requestId: actor.requestId,
    details,
  });
}

function requireActive(agent: Agent): void {
  if (agent.status !== "active") throw new DomainError("failed_precondition", "agent.revoked", "agent is revoked");
}

function concurrentChange(): DomainError {
  return new DomainError("aborted", "agent.concurrent_change", "agent changed concurrently; retry");
}

function requireUnchangedManifest(agent: Agent, expectedHash: string): void {
  if (agent.manifestHash !== expectedHash) throw concurrentChange();
}
