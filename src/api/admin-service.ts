/** AdminService handlers: token exchange, organisations, audit log reads and exports. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  AdminService,
  CreateOrgResponseSchema,
  ExchangeTokenResponseSchema,
  ExportAuditResponseSchema,
  ExportHeaderSchema,
  GetOrgResponseSchema,
  ListAuditEventsResponseSchema,
  ListOrgsResponseSchema,
} from "../../gen/agentidentity/v1/admin_pb.js";
import { invalidField, refusal } from "../domain/errors.js";
import { actorOf } from "./actor.js";
import { clientAddressKey, listenerKey } from "./context-keys.js";
import { auditEventToPb, checkpointToPb } from "./convert-audit.js";
import { orgTierFromPb, orgToPb } from "./convert.js";
import type { OrgService } from "../domain/orgs/index.js";
import type { AuditQuery } from "../domain/audit/index.js";
import type { AdminTokenExchanger, BrowserAdminTokenExchanger, IssuedAdminToken } from "../domain/admin/index.js";

/** The request header that carries the admin API key (never a message field, so it is never logged). */
export const ADMIN_API_KEY_HEADER = "x-admin-api-key";

export interface AdminHandlerDeps {
  readonly tokens: AdminTokenExchanger & BrowserAdminTokenExchanger;
  readonly orgs: OrgService;
  readonly audit: AuditQuery;
}

export function createAdminService(deps: AdminHandlerDeps): ServiceImpl<typeof AdminService> {
  return {
    async exchangeToken(req, ctx) {
      const actor = actorOf(ctx);
      const apiKey = ctx.requestHeader.get(ADMIN_API_KEY_HEADER) ?? undefined;
      let issued: IssuedAdminToken;
      if (ctx.values.get(listenerKey) === "browser") {
        // Browser tokens have one fixed lifetime and are never org-scoped: refuse what the caller cannot get.
        if (req.orgId !== "") throw invalidField("admin.org_id_invalid", "org_id", "must be empty on the browser port");
        if (req.ttlSeconds !== 0) throw invalidField("admin.ttl_invalid", "ttl_seconds", "must be 0 on the browser port");
        issued = await deps.tokens.exchangeForBrowser(ctx.values.get(clientAddressKey), apiKey, actor.requestId);
      } else {
        if (actor.peer === undefined) throw refusal("auth.client_certificate_required");
        const request = { orgId: req.orgId === "" ? undefined : req.orgId, ttlSeconds: req.ttlSeconds === 0 ? undefined : req.ttlSeconds };
        issued = await deps.tokens.exchange(actor.peer, apiKey, request, actor.requestId);
      }
      return create(ExchangeTokenResponseSchema, {
        accessToken: issued.token,
        tokenType: "Bearer",
        expireTime: timestampFromMs(issued.expiresAtMs),
        subject: issued.subject,
        orgId: issued.orgId ?? "",
      });
    },

    async createOrg(req, ctx) {
      const tier = orgTierFromPb(req.tier);
      if (tier === undefined) throw invalidField("org.invalid_tier", "tier", "unknown tier");
      const org = await deps.orgs.create(actorOf(ctx), { name: req.name, tier });
      return create(CreateOrgResponseSchema, { org: orgToPb(org) });
    },

    async getOrg(req, ctx) {
      return create(GetOrgResponseSchema, { org: orgToPb(await deps.orgs.get(actorOf(ctx), req.orgId)) });
    },

    async listOrgs(req, ctx) {
      const page = await deps.orgs.list(actorOf(ctx), { pageSize: req.pageSize, pageToken: req.pageToken });
      return create(ListOrgsResponseSchema, { orgs: page.items.map(orgToPb), nextPageToken: page.nextPageToken ?? "" });
    },

    async listAuditEvents(req, ctx) {
      const page = await deps.audit.list(actorOf(ctx), {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        orgId: req.orgId,
        actor: req.actor,
        action: req.action,
        target: req.target,
        startMs: req.startTime === undefined ? undefined : timestampMs(req.startTime),
        endMs: req.endTime === undefined ? undefined : timestampMs(req.endTime),
      });
      return create(ListAuditEventsResponseSchema, { events: page.items.map(auditEventToPb), nextPageToken: page.nextPageToken ?? "" });
    },

    async *exportAudit(req, ctx) {
      const startSeq = Number(req.startSeq);
      const endSeq = Number(req.endSeq);
      if (!Number.isSafeInteger(startSeq) || startSeq < 0) throw invalidField("audit.export_range", "start_seq", "must be >= 0");
      if (!Number.isSafeInteger(endSeq) || endSeq < 0) throw invalidField("audit.export_range", "end_seq", "must be >= 0");
      const doc = await deps.audit.export(actorOf(ctx), { startSeq, endSeq });
      const h = doc.header;
      yield create(ExportAuditResponseSchema, {
        item: {
          case: "header",
          value: create(ExportHeaderSchema, {
            startSeq: BigInt(h.startSeq),
            endSeq: BigInt(h.endSeq),
            anchorHash: h.anchorHash,
            jwks: h.jwks,
            exportTime: timestampFromMs(h.exportTimeMs),
          }),
        },
      });
      // Pulled one message at a time: connect-node waits for the socket to drain, and events are read a page at a time.
      for await (const event of doc.events) yield create(ExportAuditResponseSchema, { item: { case: "event", value: auditEventToPb(event) } });
      for (const cp of doc.checkpoints) yield create(ExportAuditResponseSchema, { item: { case: "checkpoint", value: checkpointToPb(cp) } });
    },
  };
}
