/** Ports the renewal module consumes: the agent lookup, the replay gate, and the transaction that records. */
import type { Agent } from "../agents/index.js";
import type { CredentialUnitOfWork } from "../credentials/index.js";
import type { Admission, AgentVersionSink } from "../verify/index.js";

/** The stored agent or not_found "agent.not_found" (the agents service). */
export interface RenewalAgents {
  requireAgent(agentId: string): Promise<Agent>;
}

/** Single-use admission of the renewal proof (nonce, per-agent limit, state version) and the version store. */
export type RenewalGate = Admission & AgentVersionSink;

/** Records the issued credential and its audit event in one transaction. */
export type RenewalUnitOfWork = CredentialUnitOfWork;
