/** `admin orgs create|get|list`: organisations (AdminService.CreateOrg, GetOrg, ListOrgs). */
import { create, toJson } from "@bufbuild/protobuf";
import { CreateOrgResponseSchema, GetOrgResponseSchema, ListOrgsResponseSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import { OrgTier, type Org } from "../../../gen/agentidentity/v1/common_pb.js";
import type { CommandContext, CommandGroup } from "./command.js";
import { usageError } from "./failures.js";
import { fields, json, table, time } from "./output.js";
import { fetchPages, nextPageHint, PAGING_OPTIONS } from "./paging.js";

const TIERS: Readonly<Record<string, OrgTier>> = {
  unverified: OrgTier.UNVERIFIED,
  verified: OrgTier.VERIFIED,
  enterprise: OrgTier.ENTERPRISE,
};

export function tierName(tier: OrgTier): string {
  return (OrgTier[tier] ?? "UNSPECIFIED").toLowerCase();
}

function parseTier(value: string | undefined): OrgTier {
  if (value === undefined) return OrgTier.UNVERIFIED;
  const tier = TIERS[value.toLowerCase()];
  if (tier === undefined) throw usageError("--tier must be unverified, verified or enterprise");
  return tier;
}

function showOrg(ctx: CommandContext, org: Org | undefined): void {
  if (org === undefined) return;
  if (ctx.mode === "quiet") return ctx.io.out(org.id);
  fields(ctx.io, [
    ["id", org.id],
    ["name", org.name],
    ["tier", tierName(org.tier)],
    ["created", time(org.createTime)],
  ]);
}

export const orgCommands: CommandGroup = {
  summary: "organisations",
  commands: {
    create: {
      usage: "--name NAME [--tier unverified|verified|enterprise]",
      summary: "create an organisation (names are unique, case-insensitive)",
      options: { name: { type: "string" }, tier: { type: "string" } },
      async run(ctx) {
        ctx.args.noPositionals();
        const tier = parseTier(ctx.args.string("tier"));
        const res = await ctx.session().admin.createOrg({ name: ctx.args.required("name"), tier });
        if (ctx.mode === "json") return json(ctx.io, toJson(CreateOrgResponseSchema, res));
        showOrg(ctx, res.org);
      },
    },
    get: {
      usage: "ORG_ID",
      summary: "show one organisation",
      async run(ctx) {
        const res = await ctx.session().admin.getOrg({ orgId: ctx.args.positional("organisation id") });
        if (ctx.mode === "json") return json(ctx.io, toJson(GetOrgResponseSchema, res));
        showOrg(ctx, res.org);
      },
    },
    list: {
      usage: "[--page-size N] [--page-token T] [--all]",
      summary: "list organisations, oldest first",
      options: PAGING_OPTIONS,
      async run(ctx) {
        ctx.args.noPositionals();
        const admin = ctx.session().admin;
        const page = await fetchPages(ctx.args, async (pageSize, pageToken) => {
          const res = await admin.listOrgs({ pageSize, pageToken });
          return { items: res.orgs, nextPageToken: res.nextPageToken };
        });
        if (ctx.mode === "json") {
          return json(ctx.io, toJson(ListOrgsResponseSchema, create(ListOrgsResponseSchema, { orgs: [...page.items], nextPageToken: page.nextPageToken })));
        }
        if (ctx.mode === "quiet") return page.items.forEach((o) => ctx.io.out(o.id));
        table(ctx.io, ["id", "name", "tier", "created"], page.items.map((o) => [o.id, o.name, tierName(o.tier), time(o.createTime)]));
        nextPageHint(ctx.io, ctx.mode, page.nextPageToken);
      },
    },
  },
};
