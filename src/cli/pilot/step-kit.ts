/** What every pilot step shares: the outcome shape, the check helper, the run's clients and the agent's proofs. */
import type { Client } from "@connectrpc/connect";
import type { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
import type { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
import type { VerifyResponse } from "../../../gen/agentidentity/v1/verifier_pb.js";
import type { PilotClients } from "./clients.js";
import type { PilotSettings } from "./settings.js";

export type StepOutcome = Record<string, string | number | boolean>;

/** A step's result: what the report shows, and the value later steps use. */
export interface StepResult<T> {
  readonly outcome: StepOutcome;
  readonly value: T;
}

/** A step whose check did not hold (as opposed to a transport error, also reported against its step). */
export class StepCheckError extends Error {
  override readonly name = "StepCheckError";
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepCheckError(message);
}

export const SCOPE = "pilot:smoke";
export const OPERATION = "pilot.ping";
export const CURRENCY = "EUR";
export const AMOUNT_MINOR = 100n;
/** Longest wait for one retry-after hint. */
export const MAX_RETRY_WAIT_MS = 10_000;

/** The run so far: settings, clients, and the org and agent once created. */
export interface PilotRun {
  readonly settings: PilotSettings;
  readonly clients: PilotClients;
  /** The relying party's audience (its certificate identity unless PILOT_RP_AUDIENCE is set). */
  readonly rpAudience: string;
  orgId: string;
  agentId: string;
}

/** The admin's clients, once the admin JWT is known. */
export interface AdminClients {
  readonly admin: Client<typeof AdminService>;
  readonly registry: Client<typeof AgentRegistryService>;
}

/** The registered agent's proof maker and the relying party's Verify call, for one credential at a time. */
export interface VerifyKit {
  proof(credential: string): Promise<string>;
  verify(credential: string, proofJws: string): Promise<VerifyResponse>;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
