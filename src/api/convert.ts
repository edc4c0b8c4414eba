/** Protobuf <-> domain conversion shared by the service handlers: nothing but shape changes. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  AgentSchema,
  AgentStatus as PbAgentStatus,
  AmountLimitSchema,
  CapabilityManifestSchema,
  CredentialSchema,
  OrgSchema,
  OrgTier as PbOrgTier,
  type Agent as PbAgent,
  type CapabilityManifest as PbManifest,
  type Credential as PbCredential,
  type Org as PbOrg,
} from "../../gen/agentidentity/v1/common_pb.js";
import type { Agent, AgentStatus, CapabilityManifest } from "../domain/agents/index.js";
import type { Org, OrgTier } from "../domain/orgs/index.js";

export function timestamp(ms: number | undefined): Timestamp | undefined {
  return ms === undefined ? undefined : timestampFromMs(ms);
}

export function orgTierFromPb(tier: PbOrgTier): OrgTier | undefined {
  switch (tier) {
    case PbOrgTier.UNSPECIFIED:
    case PbOrgTier.UNVERIFIED:
      return "unverified";
    case PbOrgTier.VERIFIED:
      return "verified";
    case PbOrgTier.ENTERPRISE:
      return "enterprise";
    default:
      return undefined;
  }
}

const TIER_TO_PB: Record<OrgTier, PbOrgTier> = {
  unverified: PbOrgTier.UNVERIFIED,
  verified: PbOrgTier.VERIFIED,
  enterprise: PbOrgTier.ENTERPRISE,
};

export function orgToPb(org: Org): PbOrg {
  return create(OrgSchema, { id: org.id, name: org.name, tier: TIER_TO_PB[org.tier], createTime: timestamp(org.createdAtMs) });
}

export function agentStatusFromPb(status: PbAgentStatus): AgentStatus | undefined | "invalid" {
  switch (status) {
    case PbAgentStatus.UNSPECIFIED:
      return undefined;
    case PbAgentStatus.ACTIVE:
      return "active";
    case PbAgentStatus.REVOKED:
      return "revoked";
    default:
      return "invalid";
  }
}

export function manifestFromPb(manifest: PbManifest | undefined): CapabilityManifest | undefined {
  if (manifest === undefined) return undefined;
  return {
    scopes: [...manifest.scopes],
    operations: [...manifest.operations],
    amountLimits: manifest.amountLimits.map((l) => ({ currency: l.currency, maxAmountMinor: l.maxAmountMinor })),
  };
}

export function manifestToPb(manifest: CapabilityManifest): PbManifest {
  return create(CapabilityManifestSchema, {
    scopes: [...manifest.scopes],
    operations: [...manifest.operations],
    amountLimits: manifest.amountLimits.map((l) => create(AmountLimitSchema, { currency: l.currency, maxAmountMinor: l.maxAmountMinor })),
  });
}

export function agentToPb(agent: Agent): PbAgent {
  return create(AgentSchema, {
    id: agent.id,
    orgId: agent.orgId,
    displayName: agent.displayName,
    metadata: { ...agent.metadata },
    publicJwk: JSON.stringify(agent.publicJwk),
    keyThumbprint: agent.keyThumbprint,
    status: agent.status === "active" ? PbAgentStatus.ACTIVE : PbAgentStatus.REVOKED,
    capabilities: manifestToPb(agent.capabilities),
    stateVersion: BigInt(agent.stateVersion),
    createTime: timestamp(agent.createdAtMs),
    updateTime: timestamp(agent.updatedAtMs),
    revokeTime: timestamp(agent.revokedAtMs),
    revokeReason: agent.revokeReason ?? "",
    revokedBy: agent.revokedBy ?? "",
  });
}

/** A credential as the domain hands it out. */
export interface IssuedCredentialView {
  readonly token: string;
  readonly jti: string;
  readonly kid: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

export function credentialToPb(c: IssuedCredentialView): PbCredential {
  return create(CredentialSchema, {
    token: c.token,
    credentialId: c.jti,
    kid: c.kid,
    issueTime: timestamp(c.issuedAtMs),
    expireTime: timestamp(c.expiresAtMs),
  });
}
