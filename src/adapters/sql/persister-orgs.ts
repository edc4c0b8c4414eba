/** Organisations in SQL (table orgs). */
import { DomainError } from "../../domain/errors.js";
import type { Org, OrgRepository, OrgTier } from "../../domain/orgs/index.js";
import type { Page, PageRequest } from "../../domain/paging.js";
import type { Queryable } from "./database.js";
import { decodeTimeIdToken, encodeToken, pageSize } from "./pagination.js";
import { isUniqueViolation, toMs, ts } from "./sql-values.js";

interface OrgRow {
  id: string;
  name: string;
  tier: string;
  created_at: Date;
}

function toOrg(row: OrgRow): Org {
  return { id: row.id, name: row.name, tier: row.tier as OrgTier, createdAtMs: toMs(row.created_at) };
}

export function sqlOrgRepository(q: Queryable): OrgRepository {
  return {
    async insert(org: Org): Promise<void> {
      try {
        await q.query("INSERT INTO orgs (id, name, tier, created_at) VALUES ($1, $2, $3, $4)", [
          org.id,
          org.name,
          org.tier,
          ts(org.createdAtMs),
        ]);
      } catch (e) {
        if (isUniqueViolation(e, "orgs_name_lower_key")) {
          throw new DomainError("already_exists", "org.name_taken", "an organisation with this name already exists", { cause: e });
        }
        throw e;
      }
    },

    async get(id: string): Promise<Org | undefined> {
      const rows = await q.query<OrgRow>("SELECT id, name, tier, created_at FROM orgs WHERE id = $1", [id]);
      return rows[0] === undefined ? undefined : toOrg(rows[0]);
    },

    async list(request: PageRequest): Promise<Page<Org>> {
      const size = pageSize(request);
      const after = decodeTimeIdToken(request.pageToken);
      const rows =
        after === undefined
          ? await q.query<OrgRow>("SELECT id, name, tier, created_at FROM orgs ORDER BY created_at, id LIMIT $1", [size + 1])
          : await q.query<OrgRow>(
              `SELECT id, name, tier, created_at FROM orgs
               WHERE (created_at, id) > ($1::timestamptz, $2) ORDER BY created_at, id LIMIT $3`,
              [ts(after.t), after.i, size + 1],
            );
      const items = rows.slice(0, size).map(toOrg);
      const last = items[items.length - 1];
      const nextPageToken = rows.length > size && last !== undefined ? encodeToken({ t: last.createdAtMs, i: last.id }) : undefined;
      return { items, nextPageToken };
    },
  };
}
