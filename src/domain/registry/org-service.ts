/** Organisations: create (audited in the same transaction), read, list. */
import { requireUnrestrictedAdmin } from "../admin/org-scope.js";
import type { Clock } from "../clock.js";
import { DomainError, invalidFields, notFound, type FieldViolation } from "../errors.js";
import { isId, newId } from "../ids.js";
import type { Org, OrgTier, Page } from "../model.js";
import type { Actor } from "../peer.js";
import type { PageRequest, ReadStores, UnitOfWork } from "../storage.js";
import { requireAdminFor } from "./access.js";
import { checkName } from "./validation.js";

export interface OrgServiceDeps {
  readonly uow: UnitOfWork;
  readonly reads: ReadStores;
  readonly clock: Clock;
}

export class OrgService {
  constructor(private readonly deps: OrgServiceDeps) {}

  async create(actor: Actor, input: { name: string; tier: OrgTier }): Promise<Org> {
    if (actor.admin === undefined) throw new DomainError("unauthenticated", "admin.token_missing", "admin token required");
    requireUnrestrictedAdmin(actor.admin);
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

/** invalid_argument on org_id unless it is syntactically an org id. */
export function requireOrgId(orgId: string, field = "org_id"): void {
  if (!isId("org", orgId)) {
    throw new DomainError("invalid_argument", "org.invalid_id", `invalid ${field}: must be an org id (org_...)`, {
      fieldViolations: [{ field, description: "must be an org id (org_...)" }],
    });
  }
}

/** invalid_argument on agent_id unless it is syntactically an agent id. */
export function requireAgentId(agentId: string, field = "agent_id"): void {
  if (!isId("agt", agentId)) {
    throw new DomainError("invalid_argument", "agent.invalid_id", `invalid ${field}: must be an agent id (agt_...)`, {
      fieldViolations: [{ field, description: "must be an agent id (agt_...)" }],
    });
  }
}
