/** The agent records as the domain sees them: the agent, its capability manifest, and the Verify path's view. */
import type { AgentPublicJwk } from "../keys/index.js";
import type { OrgTier } from "../orgs/index.js";

export interface AmountLimit {
  /** ISO 4217, upper-case. */
  readonly currency: string;
  /** Per-request ceiling in integer minor units. */
  readonly maxAmountMinor: bigint;
}

export interface CapabilityManifest {
  readonly scopes: readonly string[];
  readonly operations: readonly string[];
  readonly amountLimits: readonly AmountLimit[];
}

export type AgentStatus = "active" | "revoked";

export interface Agent {
  readonly id: string;
  readonly orgId: string;
  readonly displayName: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly publicJwk: AgentPublicJwk;
  /** RFC 7638 thumbprint (base64url SHA-256) of publicJwk. */
  readonly keyThumbprint: string;
  readonly status: AgentStatus;
  readonly capabilities: CapabilityManifest;
  /** base64url SHA-256 of the canonical manifest; credentials carry it. */
  readonly manifestHash: string;
  /** Bumped by revoke, key rotation and capability update. */
  readonly stateVersion: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly revokedAtMs: number | undefined;
  readonly revokeReason: string | undefined;
  readonly revokedBy: string | undefined;
}

/** The part of an agent the Verify path needs, cached in-process and checked against its state version. */
export interface AgentState {
  readonly agentId: string;
  readonly orgId: string;
  readonly status: AgentStatus;
  readonly publicJwk: AgentPublicJwk;
  readonly keyThumbprint: string;
  readonly manifestHash: string;
  readonly capabilities: CapabilityManifest;
  readonly stateVersion: number;
  readonly createdAtMs: number;
  readonly orgTier: OrgTier;
}
