/** The orgs module: organisations and their tiers (create, read, list). */
import type { Clock } from "../clock.js";
import type { OrgReads, OrgUnitOfWork } from "./ports.js";
import { OrgService } from "./service.js";

export type { Org, OrgTier } from "./model.js";
export type { OrgRepository } from "./ports.js";
export type { OrgService } from "./service.js";

interface OrgsDeps {
  readonly uow: OrgUnitOfWork;
  readonly reads: OrgReads;
  readonly clock: Clock;
}

export function createOrgs(deps: OrgsDeps): { readonly orgs: OrgService } {
  return { orgs: new OrgService(deps) };
}
