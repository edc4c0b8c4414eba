/** Organisations: create (audited in the same transaction), read, list. */
import { requireAdmin, requireAdminFor, requireUnrestrictedAdmin } from "../access.js";
import type { Clock } from "../clock.js";
import { invalidFields, notFound, type FieldViolation } from "../errors.js";
import { newId, requireOrgId } from "../ids.js";
import { checkName } from "../input-rules.js";
import type { Page, PageRequest } from "../paging.js";
import type { Actor } from "../peer.js";
import type { Org, OrgTier } from "./model.js";
import type { OrgReads, OrgUnitOfWork } from "./ports.js";

interface OrgServiceDeps {
  readonly uow: OrgUnitOfWork;
  readonly reads: OrgReads;
  readonly clock: Clock;
}

export class OrgService {
  constructor(private readonly deps: OrgServiceDeps) {}

  async create(actor: Actor, input: { name: string; tier: OrgTier }): Promise<Org> {
    requireUnrestrictedAdmin(requireAdmin(actor));
    const violations: FieldViolation[] = [];
    checkName("name", input.name, violations);
    const fault = invalidFields("org.invalid", violations);
    if (fault) throw fault;
    const org: Org = { id: newId("org"), name: input.name.trim(), tier: input.tier, createdAtMs: this.deps.clock.nowMs() };
    await this.deps.uow.run(async (tx) => {
      await tx.orgs.insert(org);
      tx.audit.record({
        id: newId("evt"),
        timeMs: org.createdAtMs,
        actor: actor.identity,
        action: "org.created",
        target: org.id,
        orgId: org.id,
        requestId: actor.requestId,
        details: { name: org.name, tier: org.tier },
      });
    });
    return org;
  }

  async get(actor: Actor, orgId: string): Promise<Org> {
    requireOrgId(orgId);
    requireAdminFor(actor, orgId);
    const org = await this.deps.reads.orgs.get(orgId);
    if (org === undefined) throw notFound("org.not_found", "org");
    return org;
  }

  async list(actor: Actor, page: PageRequest): Promise<Page<Org>> {
    const scoped = actor.admin?.orgId;
    if (scoped !== undefined) {
      // An org-scoped token sees exactly its own organisation.
      const org = await this.deps.reads.orgs.get(scoped);
      return { items: org === undefined ? [] : [org], nextPageToken: undefined };
    }
    return this.deps.reads.orgs.list(page);
  }
}
