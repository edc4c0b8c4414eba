/** AgentRegistryService handlers: request -> domain call -> response, nothing else. */
import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  AgentRegistryService,
  GetAgentResponseSchema,
  GetTrustScoreResponseSchema,
  IssueCredentialResponseSchema,
  ListAgentsResponseSchema,
  RegisterAgentResponseSchema,
  ReportTelemetryResponseSchema,
  RevokeAgentResponseSchema,
  RotateAgentKeyResponseSchema,
  UpdateCapabilitiesResponseSchema,
} from "../../gen/agentidentity/v1/registry_pb.js";
import type { JsonObject } from "../domain/audit/canonical-json.js";
import { invalidField } from "../domain/errors.js";
import type { AgentService } from "../domain/registry/agent-service.js";
import type { CredentialRenewal } from "../domain/registry/renewal.js";
import type { TelemetryService } from "../domain/trust/index.js";
import { actorOf } from "./actor.js";
import { agentStatusFromPb, agentToPb, credentialToPb, manifestFromPb } from "./convert.js";
import { trustScoreToPb } from "./convert-trust.js";

export interface RegistryHandlerDeps {
  readonly agents: AgentService;
  readonly renewal: CredentialRenewal;
  readonly telemetry: TelemetryService;
}

export function createRegistryService(deps: RegistryHandlerDeps): ServiceImpl<typeof AgentRegistryService> {
  return {
    async registerAgent(req, ctx) {
      const { agent, credential } = await deps.agents.register(actorOf(ctx), {
        orgId: req.orgId,
        displayName: req.displayName,
        metadata: req.metadata,
        publicJwk: req.publicJwk,
        capabilities: manifestFromPb(req.capabilities),
        possessionProof: req.possessionProof,
      });
      return create(RegisterAgentResponseSchema, { agent: agentToPb(agent), credential: credentialToPb(credential) });
    },

    async getAgent(req, ctx) {
      const agent = await deps.agents.get(actorOf(ctx), req.agentId);
      return create(GetAgentResponseSchema, { agent: agentToPb(agent) });
    },

    async listAgents(req, ctx) {
      const status = agentStatusFromPb(req.status);
      if (status === "invalid") throw invalidField("agent.invalid_status", "status", "unknown status");
      const page = await deps.agents.list(actorOf(ctx), {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        orgId: req.orgId,
        status,
      });
      return create(ListAgentsResponseSchema, { agents: page.items.map(agentToPb), nextPageToken: page.nextPageToken ?? "" });
    },

    async revokeAgent(req, ctx) {
      const agent = await deps.agents.revoke(actorOf(ctx), req.agentId, req.reason);
      return create(RevokeAgentResponseSchema, { agent: agentToPb(agent) });
    },

    async rotateAgentKey(req, ctx) {
      const { agent, credential } = await deps.agents.rotateKey(actorOf(ctx), req.agentId, req.publicJwk, req.possessionProof);
      return create(RotateAgentKeyResponseSchema, { agent: agentToPb(agent), credential: credentialToPb(credential) });
    },

    async updateCapabilities(req, ctx) {
      const { agent, credential } = await deps.agents.updateCapabilities(actorOf(ctx), req.agentId, manifestFromPb(req.capabilities));
      return create(UpdateCapabilitiesResponseSchema, { agent: agentToPb(agent), credential: credentialToPb(credential) });
    },

    async issueCredential(req, ctx) {
      const credential = await deps.renewal.issue(actorOf(ctx), req.agentId, req.proof);
      return create(IssueCredentialResponseSchema, { credential: credentialToPb(credential) });
    },

    async reportTelemetry(req, ctx) {
      const { eventId, score } = await deps.telemetry.report(actorOf(ctx), {
        agentId: req.agentId,
        eventType: req.eventType,
        success: req.success,
        latencyMs: req.latencyMs,
        slaMet: req.slaMet,
        dispute: req.dispute,
        raw: (req.raw ?? {}) as JsonObject,
        decisionId: req.decisionId,
        occurredAtMs: req.occurTime === undefined ? undefined : timestampMs(req.occurTime),
      });
      return create(ReportTelemetryResponseSchema, { eventId, trustScore: trustScoreToPb(score) });
    },

    async getTrustScore(req, ctx) {
      const score = await deps.telemetry.score(actorOf(ctx), req.agentId);
      return create(GetTrustScoreResponseSchema, { agentId: req.agentId, trustScore: trustScoreToPb(score) });
    },
  };
}
