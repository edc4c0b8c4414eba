/** Ports the agents module consumes: its repository, its transaction, org lookups and change propagation. */
import type { CredentialTx } from "../credentials/index.js";
import type { AgentPublicJwk } from "../keys/index.js";
import type { OrgRepository } from "../orgs/index.js";
import type { Page, PageRequest } from "../paging.js";
import type { Agent, AgentStatus, CapabilityManifest } from "./model.js";

export interface AgentListFilter extends PageRequest {
  readonly orgId?: string;
  readonly status?: AgentStatus;
}

export interface RevokeAgentInput {
  readonly by: string;
  readonly reason: string;
  readonly atMs: number;
}

export interface RevokeAgentResult {
  readonly agent: Agent;
  /** false when the agent was already revoked (nothing changed; the first revocation's who/when/why stay). */
  readonly changed: boolean;
}

export interface RotateAgentKeyInput {
  readonly publicJwk: AgentPublicJwk;
  readonly keyThumbprint: string;
  readonly atMs: number;
}

export interface UpdateCapabilitiesInput {
  readonly capabilities: CapabilityManifest;
  readonly manifestHash: string;
  readonly atMs: number;
}

export interface AgentRepository {
  /**
   * Inserts a new agent (status active, the given stateVersion) with its first key and manifest in the
   * history tables. An unknown org is not_found "org.not_found".
   */
  insert(agent: Agent): Promise<void>;
  get(id: string): Promise<Agent | undefined>;
  /** Oldest first, by (createdAt, id). */
  list(filter: AgentListFilter): Promise<Page<Agent>>;
  /** Idempotent; bumps stateVersion only on the first revocation. Unknown agent: not_found "agent.not_found". */
  revoke(id: string, input: RevokeAgentInput): Promise<RevokeAgentResult>;
  /**
   * Retires the current key (kept in history), makes the new one current, bumps stateVersion. Errors:
   * not_found "agent.not_found", failed_precondition "agent.revoked", already_exists "agent.key_reused"
   * (the key was this agent's before).
   */
  rotateKey(id: string, input: RotateAgentKeyInput): Promise<Agent>;
  /** Stores the new manifest (history kept) and bumps stateVersion. Errors as rotateKey (but no key_reused). */
  updateCapabilities(id: string, input: UpdateCapabilitiesInput): Promise<Agent>;
}

/** The stores an agent change uses inside one transaction (with the credential it issues). */
export interface AgentTx extends CredentialTx {
  readonly agents: AgentRepository;
}

export interface AgentUnitOfWork {
  /** Runs fn in one transaction; events recorded through tx.audit are appended to the chain just before COMMIT. */
  run<T>(fn: (tx: AgentTx) => Promise<T>): Promise<T>;
}

/** Reads outside any transaction. */
export interface AgentReads {
  readonly agents: Pick<AgentRepository, "get" | "list">;
  readonly orgs: Pick<OrgRepository, "get">;
}

/** The shared per-agent state version verifiers compare against (the replay gate's store). */
export interface AgentVersionSink {
  /** Records an agent's state version after commit; never lowers a stored version. */
  setAgentVersion(agentId: string, version: number): Promise<void>;
}

/** The pub/sub channel that tells every verifier replica an agent changed. */
export interface AgentChangeBus {
  publish(message: { readonly kind: "agent"; readonly agentId: string; readonly version: number }): Promise<void>;
}

/** How old (and how far ahead) a possession proof's iat may be; the Verify path's ProofWindow has this shape. */
export interface ProofWindowSeconds {
  readonly maxAgeSeconds: number;
  readonly futureSkewSeconds: number;
}
