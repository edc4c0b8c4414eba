/** Admin reads of the audit log: filtered pages (org-scoped tokens see their org) and whole-chain exports. */
import { requireUnrestrictedAdmin } from "../admin/org-scope.js";
import type { AuditEventRecord } from "../audit/chain.js";
import { openAuditExport, type AuditExportStream, type ExportRangeRequest } from "../audit/export.js";
import type { Clock } from "../clock.js";
import { requireText, requireTimeMs } from "../bounds.js";
import { DomainError } from "../errors.js";
import type { IssuerKeySet } from "../issuer/key-set.js";
import { publicMembers } from "../issuer/jwks.js";
import type { Page } from "../model.js";
import type { Actor } from "../peer.js";
import type { AuditListFilter, AuditReader } from "../storage.js";
import { requireAdminFor } from "./access.js";
import { requireOrgId } from "./org-service.js";

export class AuditQuery {
  constructor(
    private readonly reader: AuditReader,
    private readonly keySet: IssuerKeySet,
    private readonly clock: Clock,
    /** Signs the audit head if it moved (the checkpointer), so an export always ends at a signed checkpoint. */
    private readonly sealHead?: () => Promise<unknown>,
  ) {}

  async list(actor: Actor, filter: AuditListFilter): Promise<Page<AuditEventRecord>> {
    const admin = actor.admin;
    if (admin === undefined) throw new DomainError("unauthenticated", "admin.token_missing", "admin token required");
    let orgId = filter.orgId === "" ? undefined : filter.orgId;
    if (orgId !== undefined) requireOrgId(orgId);
    if (admin.orgId !== undefined) {
      if (orgId !== undefined) requireAdminFor(actor, orgId);
      orgId = admin.orgId;
    }
    const clean = (field: string, v: string | undefined): string | undefined =>
      v === undefined || v === "" ? undefined : requireText("audit.invalid_filter", field, v, 512);
    const time = (field: string, ms: number | undefined): number | undefined =>
      ms === undefined ? undefined : requireTimeMs("audit.invalid_filter", field, ms);
    return this.reader.list({
      ...filter,
      orgId,
      actor: clean("actor", filter.actor),
      action: clean("action", filter.action),
      target: clean("target", filter.target),
      startMs: time("start_time", filter.startMs),
      endMs: time("end_time", filter.endMs),
    });
  }

  /**
   * The chain is global, so only an unrestricted admin exports it. The JWKS carries every issuer key ever used
   * (informational: verifiers use their own trusted keys). Events are read lazily, a page at a time.
   */
  async export(actor: Actor, range: ExportRangeRequest): Promise<AuditExportStream> {
    const admin = actor.admin;
    if (admin === undefined) throw new DomainError("unauthenticated", "admin.token_missing", "admin token required");
    requireUnrestrictedAdmin(admin);
    const keys = this.keySet.all().map((r) => ({ ...publicMembers(r.publicJwk), kid: r.kid, alg: r.alg, use: "sig" }));
    const sources = this.sealHead === undefined ? { reader: this.reader } : { reader: this.reader, sealHead: this.sealHead };
    return openAuditExport(sources, range, JSON.stringify({ keys }), this.clock.nowMs());
  }
}
