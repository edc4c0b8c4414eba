/** Admin reads of the audit log: filtered pages (org-scoped tokens see their org) and whole-chain exports. */
import { requireAdmin, requireAdminFor, requireUnrestrictedAdmin } from "../access.js";
import { requireText, requireTimeMs } from "../bounds.js";
import type { Clock } from "../clock.js";
import { requireOrgId } from "../ids.js";
import type { Page } from "../paging.js";
import type { Actor } from "../peer.js";
import type { AuditEventRecord } from "./chain.js";
import { openAuditExport, type AuditExportStream, type ExportRangeRequest } from "./export.js";
import type { AuditListFilter, AuditReader, IssuerKeyHistory } from "./ports.js";

interface AuditQueryDeps {
  readonly reader: AuditReader;
  readonly issuerKeys: IssuerKeyHistory;
  readonly clock: Clock;
  /** Signs the audit head if it moved (the checkpointer), so an export always ends at a signed checkpoint. */
  readonly sealHead?: () => Promise<unknown>;
}

export class AuditQuery {
  constructor(private readonly deps: AuditQueryDeps) {}

  async list(actor: Actor, filter: AuditListFilter): Promise<Page<AuditEventRecord>> {
    const admin = requireAdmin(actor);
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
    return this.deps.reader.list({
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
    requireUnrestrictedAdmin(requireAdmin(actor));
    const jwks = JSON.stringify(this.deps.issuerKeys.everyKeyJwks());
    const { reader, sealHead } = this.deps;
    return openAuditExport(sealHead === undefined ? { reader } : { reader, sealHead }, range, jwks, this.deps.clock.nowMs());
  }
}
