/** Contract suite for the org repository, on PGlite always and on Postgres when TEST_DATABASE_URL is set. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../src/domain/errors.js";
import type { TestDatabase } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";
import { BASE_MS, collect, org } from "./fixtures.js";
import type { Org } from "../../src/domain/orgs/index.js";
import { createSqlPersister, type SqlPersister } from "../../src/adapters/sql/persister.js";

describe.each(sqlAdapterTargets())("org repository on $name", (target) => {
  let db: TestDatabase;
  let storage: SqlPersister;
  beforeAll(async () => {
    db = await target.open();
    storage = createSqlPersister(db);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it("inserts and reads back an org", async () => {
    const o = org({ name: "Acme Payments", tier: "enterprise", createdAtMs: BASE_MS + 123 });
    await storage.unitOfWork.run((tx) => tx.orgs.insert(o));
    expect(await storage.read.orgs.get(o.id)).toEqual(o);
    expect(await storage.read.orgs.get("org_missing")).toBeUndefined();
  });

  it("refuses a name taken ignoring case", async () => {
    await storage.read.orgs.insert(org({ name: "Globex" }));
    const err = await storage.read.orgs.insert(org({ name: "GLOBEX" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe("already_exists");
    expect((err as DomainError).code).toBe("org.name_taken");
  });

  it("pages through every org once, in (created, id) order, with bounded page sizes", async () => {
    const inserted: Org[] = [];
    for (let i = 0; i < 23; i++) {
      // Several orgs share a creation time, so the id breaks ties.
      const o = org({ createdAtMs: BASE_MS + 1000 + Math.floor(i / 3) });
      await storage.read.orgs.insert(o);
      inserted.push(o);
    }
    const all = (await collect((token) => storage.read.orgs.list({ pageSize: 5, pageToken: token }))).filter((o) =>
      inserted.some((x) => x.id === o.id),
    );
    const expected = [...inserted].sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
    expect(all.map((o) => o.id)).toEqual(expected.map((o) => o.id));

    const big = await storage.read.orgs.list({ pageSize: 100_000 });
    expect(big.items.length).toBeLessThanOrEqual(500);
    const dflt = await storage.read.orgs.list({});
    expect(dflt.items.length).toBeLessThanOrEqual(50);
  });

  it("rejects a malformed page token as invalid_argument on page_token", async () => {
    const err = await storage.read.orgs.list({ pageToken: "not a token!" }).catch((e: unknown) => e);
    expect((err as DomainError).kind).toBe("invalid_argument");
    expect((err as DomainError).fieldViolations[0]?.field).toBe("page_token");
    const err2 = await storage.read.orgs.list({ pageToken: Buffer.from("[1]").toString("base64url") }).catch((e: unknown) => e);
    expect((err2 as DomainError).code).toBe("pagination.invalid_token");
  });
});
