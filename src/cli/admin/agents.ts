/** `admin agents ...`: register, get, list, revoke, rotate-key, update-capabilities, issue-credential. */
import { create, toJson } from "@bufbuild/protobuf";
import { AgentStatus } from "../../../gen/agentidentity/v1/common_pb.js";
import {
  GetAgentResponseSchema,
  IssueCredentialResponseSchema,
  ListAgentsResponseSchema,
  RevokeAgentResponseSchema,
  UpdateCapabilitiesResponseSchema,
} from "../../../gen/agentidentity/v1/registry_pb.js";
import { registerAgent, rotateAgentKey } from "./agent-keys.js";
import {
  CAPABILITY_OPTIONS,
  CAPABILITY_USAGE,
  capabilitiesFrom,
  checkCredentialOut,
  CREDENTIAL_OPTIONS,
  handleCredential,
  showAgent,
  statusName,
} from "./agent-view.js";
import type { CommandGroup } from "./command.js";
import { usageError } from "./failures.js";
import { json, table, time } from "./output.js";
import { fetchPages, nextPageHint, PAGING_OPTIONS } from "./paging.js";

function parseStatus(value: string | undefined): AgentStatus {
  if (value === undefined) return AgentStatus.UNSPECIFIED;
  if (value === "active") return AgentStatus.ACTIVE;
  if (value === "revoked") return AgentStatus.REVOKED;
  throw usageError("--status must be active or revoked");
}

export const agentCommands: CommandGroup = {
  summary: "agents and their credentials",
  commands: {
    register: registerAgent,
    get: {
      usage: "AGENT_ID",
      summary: "show one agent",
      async run(ctx) {
        const res = await ctx.session().registry.getAgent({ agentId: ctx.args.positional("agent id") });
        if (ctx.mode === "json") return json(ctx.io, toJson(GetAgentResponseSchema, res));
        showAgent(ctx, res.agent);
      },
    },
    list: {
      usage: "[--org ORG_ID] [--status active|revoked] [--page-size N] [--page-token T] [--all]",
      summary: "list agents, oldest first",
      options: { org: { type: "string" }, status: { type: "string" }, ...PAGING_OPTIONS },
      async run(ctx) {
        ctx.args.noPositionals();
        const orgId = ctx.args.string("org") ?? "";
        const status = parseStatus(ctx.args.string("status"));
        const registry = ctx.session().registry;
        const page = await fetchPages(ctx.args, async (pageSize, pageToken) => {
          const res = await registry.listAgents({ pageSize, pageToken, orgId, status });
          return { items: res.agents, nextPageToken: res.nextPageToken };
        });
        if (ctx.mode === "json") {
          const res = create(ListAgentsResponseSchema, { agents: [...page.items], nextPageToken: page.nextPageToken });
          return json(ctx.io, toJson(ListAgentsResponseSchema, res));
        }
        if (ctx.mode === "quiet") return page.items.forEach((a) => ctx.io.out(a.id));
        table(
          ctx.io,
          ["id", "org", "name", "status", "scopes", "created"],
          page.items.map((a) => [a.id, a.orgId, a.displayName, statusName(a.status), a.capabilities?.scopes.join(","), time(a.createTime)]),
        );
        nextPageHint(ctx.io, ctx.mode, page.nextPageToken);
      },
    },
    revoke: {
      usage: "AGENT_ID --reason TEXT",
      summary: "revoke an agent for good (idempotent); the reason goes to the audit log",
      options: { reason: { type: "string" } },
      async run(ctx) {
        const agentId = ctx.args.positional("agent id");
        const res = await ctx.session().registry.revokeAgent({ agentId, reason: ctx.args.required("reason") });
        if (ctx.mode === "json") return json(ctx.io, toJson(RevokeAgentResponseSchema, res));
        showAgent(ctx, res.agent);
      },
    },
    "rotate-key": rotateAgentKey,
    "update-capabilities": {
      usage: `AGENT_ID ${CAPABILITY_USAGE} [--credential-out FILE [--force]]`,
      summary: "replace the capability manifest (older credentials stop verifying); returns a new credential",
      options: { ...CAPABILITY_OPTIONS, ...CREDENTIAL_OPTIONS },
      async run(ctx) {
        const agentId = ctx.args.positional("agent id");
        const capabilities = capabilitiesFrom(ctx, ctx.args);
        if (capabilities === undefined) throw usageError(`the new capabilities are needed: ${CAPABILITY_USAGE}`);
        checkCredentialOut(ctx);
        const res = await ctx.session().registry.updateCapabilities({ agentId, capabilities });
        if (ctx.mode === "json") json(ctx.io, toJson(UpdateCapabilitiesResponseSchema, res));
        else showAgent(ctx, res.agent);
        await handleCredential(ctx, res.credential);
      },
    },
    "issue-credential": {
      usage: "AGENT_ID [--credential-out FILE [--force]]",
      summary: "issue a fresh credential to an agent",
      options: CREDENTIAL_OPTIONS,
      async run(ctx) {
        const agentId = ctx.args.positional("agent id");
        checkCredentialOut(ctx);
        const res = await ctx.session().registry.issueCredential({ agentId });
        if (ctx.mode === "json") json(ctx.io, toJson(IssueCredentialResponseSchema, res));
        else if (ctx.mode === "quiet") ctx.io.out(res.credential?.credentialId ?? "");
        await handleCredential(ctx, res.credential);
      },
    },
  },
};
