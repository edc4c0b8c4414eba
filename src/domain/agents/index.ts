/**
 * The agents module: agent records, their keys and capability manifests, and the lifecycle (register, revoke,
 * rotate key, update capabilities, read, list) with after-commit propagation to every verifier.
 */
import type { RelyingPartyOrgs } from "../access.js";
import type { Clock } from "../clock.js";
import type { CredentialMinting } from "../credentials/index.js";
import type { AgentChangeBus, AgentReads, AgentUnitOfWork, AgentVersionSink, ProofWindowSeconds } from "./ports.js";
import { AgentChangePropagator, type PropagationOptions } from "./propagation.js";
import { AgentService } from "./service.js";

export { parseAgentPublicJwk } from "./agent-jwk.js";
export type { Agent, AgentState, AgentStatus, CapabilityManifest } from "./model.js";
export type {
  AgentListFilter,
  AgentRepository,
  RevokeAgentInput,
  RevokeAgentResult,
  RotateAgentKeyInput,
  UpdateCapabilitiesInput,
} from "./ports.js";
export { AgentChangePropagator } from "./propagation.js";
export type { AgentService } from "./service.js";

interface AgentsDeps {
  readonly uow: AgentUnitOfWork;
  readonly reads: AgentReads;
  readonly clock: Clock;
  readonly minting: CredentialMinting;
  /** The shared state version store (the replay gate) and the invalidation bus. */
  readonly versions: AgentVersionSink;
  readonly bus: AgentChangeBus;
  /** The audience of possession proofs (the issuer URL). */
  readonly serviceAudience: string;
  /** PROOF_MAX_AGE_SECONDS, PROOF_FUTURE_SKEW_SECONDS. */
  readonly proofWindow: ProofWindowSeconds;
  readonly relyingPartyOrgs: RelyingPartyOrgs;
  /** Each failed propagation attempt (it is retried in the background; the change is committed). */
  readonly onPropagationError?: PropagationOptions["onError"];
}

interface Agents {
  readonly agents: AgentService;
  /** Retries failed propagations in the background; close() stops that at shutdown. */
  readonly propagator: AgentChangePropagator;
}

export function createAgents(deps: AgentsDeps): Agents {
  const onError = deps.onPropagationError;
  const propagator = new AgentChangePropagator(deps.versions, deps.bus, onError === undefined ? {} : { onError });
  return { agents: new AgentService({ ...deps, propagator }), propagator };
}
