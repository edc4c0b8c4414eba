/** IssuerKeyRepository port contract: one suite run against the in-memory adapter and SQL (PGlite, Postgres when set). */
import { generateKeyPairSync } from "node:crypto";
import type { JWK } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryIssuerKeyRepository } from "../../src/adapters/memory/issuer-key-repository.js";
import { runsEmbedded } from "../support/databases.js";
import { sqlAdapterTargets } from "../support/pgbouncer.js";
import type { TestDatabase } from "../support/databases.js";
import { type IssuerKeyRecord, type IssuerKeyRepository, publicMembers } from "../../src/domain/credentials/index.js";
import { jwkThumbprint } from "../../src/domain/keys/index.js";
import { sqlIssuerKeyRepository } from "../../src/adapters/sql/persister-credentials.js";
import type { TokenAlg } from "../../src/domain/tokens/index.js";

interface RepositoryTarget {
  readonly name: string;
  setUp(): Promise<void>;
  /** An empty repository (SQL: the table emptied; memory: a new instance). */
  empty(): Promise<IssuerKeyRepository>;
  tearDown(): Promise<void>;
}

const memoryTarget: RepositoryTarget = {
  name: "memory",
  setUp: async () => {},
  empty: async () => new MemoryIssuerKeyRepository(),
  tearDown: async () => {},
};

function sqlTarget(name: string, open: () => Promise<TestDatabase>): RepositoryTarget {
  let db: TestDatabase | undefined;
  return {
    name: `sql (${name})`,
    async setUp() {
      db = await open();
    },
    async empty() {
      if (db === undefined) throw new Error("database not opened");
      await db.query("DELETE FROM issuer_keys");
      return sqlIssuerKeyRepository(db);
    },
    async tearDown() {
      await db?.dispose();
    },
  };
}

const targets: RepositoryTarget[] = [...(runsEmbedded() ? [memoryTarget] : []), ...sqlAdapterTargets().map((t) => sqlTarget(t.name, () => t.open()))];

// Millisecond parts that are not multiples of 10 or 100, so truncation to seconds or centiseconds shows.
const CREATED = 1_700_000_000_123;
const RETIRED = 1_700_000_500_457;
const REVOKED = 1_700_000_900_789;

async function keyRecord(kind: "ec" | "ed25519", createdAtMs = CREATED): Promise<IssuerKeyRecord> {
  const pair = kind === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  const publicJwk = publicMembers(pair.publicKey.export({ format: "jwk" }) as JWK);
  const alg: TokenAlg = kind === "ec" ? "ES256" : "EdDSA";
  return { kid: await jwkThumbprint(publicJwk), alg, publicJwk, status: "active", createdAtMs };
}

async function find(repo: IssuerKeyRepository, kid: string): Promise<IssuerKeyRecord | undefined> {
  return (await repo.list()).find((r) => r.kid === kid);
}

function byKid(records: IssuerKeyRecord[]): IssuerKeyRecord[] {
  return [...records].sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
}

describe.each(targets)("IssuerKeyRepository contract: $name", (target) => {
  let repo: IssuerKeyRepository;
  beforeAll(() => target.setUp());
  afterAll(() => target.tearDown());
  beforeEach(async () => {
    repo = await target.empty();
  });

  it("an empty repository lists nothing", async () => {
    expect(await repo.list()).toEqual([]);
  });

  it("upsertActive inserts the key as active with exactly the given fields", async () => {
    const key = await keyRecord("ec");
    await repo.upsertActive(key);
    expect(await repo.list()).toStrictEqual([
      { kid: key.kid, alg: "ES256", publicJwk: key.publicJwk, status: "active", createdAtMs: CREATED },
    ]);
  });

  it("upsertActive stores the key as active even when the record says otherwise", async () => {
    const key = { ...(await keyRecord("ec")), status: "retired" as const, retiredAtMs: RETIRED };
    await repo.upsertActive(key);
    const stored = await find(repo, key.kid);
    expect(stored?.status).toBe("active");
    expect(stored?.retiredAtMs).toBeUndefined();
  });

  it("list returns every key, whatever its status", async () => {
    const [active, retired, revoked, revokedFromRetired] = await Promise.all([
      keyRecord("ec", CREATED),
      keyRecord("ed25519", CREATED + 1),
      keyRecord("ec", CREATED + 2),
      keyRecord("ed25519", CREATED + 3),
    ]);
    for (const k of [active, retired, revoked, revokedFromRetired]) await repo.upsertActive(k);
    await repo.retire(retired.kid, RETIRED);
    await repo.revoke(revoked.kid, REVOKED);
    await repo.retire(revokedFromRetired.kid, RETIRED + 1);
    await repo.revoke(revokedFromRetired.kid, REVOKED + 1);
    expect(byKid(await repo.list())).toStrictEqual(
      byKid([
        { ...active },
        { ...retired, status: "retired", retiredAtMs: RETIRED },
        { ...revoked, status: "revoked", revokedAtMs: REVOKED },
        { ...revokedFromRetired, status: "revoked", retiredAtMs: RETIRED + 1, revokedAtMs: REVOKED + 1 },
      ]),
    );
  });

  it("upsertActive reactivates a retired key: active again, retiredAtMs cleared, createdAtMs kept", async () => {
    const key = await keyRecord("ec");
    await repo.upsertActive(key);
    await repo.retire(key.kid, RETIRED);
    await repo.upsertActive({ ...key, createdAtMs: CREATED + 60_000 });
    expect(await repo.list()).toStrictEqual([{ ...key, status: "active", createdAtMs: CREATED }]);
  });

  it("upsertActive never reactivates a revoked key (revoked while active or after retirement)", async () => {
    const fromActive = await keyRecord("ec");
    const fromRetired = await keyRecord("ed25519", CREATED + 1);
    await repo.upsertActive(fromActive);
    await repo.upsertActive(fromRetired);
    await repo.revoke(fromActive.kid, REVOKED);
    await repo.retire(fromRetired.kid, RETIRED);
    await repo.revoke(fromRetired.kid, REVOKED + 1);
    const before = byKid(await repo.list());
    await repo.upsertActive(fromActive);
    await repo.upsertActive(fromRetired);
    const after = byKid(await repo.list());
    expect(after).toStrictEqual(before);
    expect(after.map((r) => r.status)).toEqual(["revoked", "revoked"]);
  });

  it("upsertActive of an already active key keeps one active record and its createdAtMs", async () => {
    const key = await keyRecord("ed25519");
    await repo.upsertActive(key);
    await repo.upsertActive({ ...key, createdAtMs: CREATED + 60_000 });
    expect(await repo.list()).toStrictEqual([{ ...key, status: "active", createdAtMs: CREATED }]);
  });

  it("upsertActive leaves the other keys untouched", async () => {
    const retired = await keyRecord("ec", CREATED);
    const revoked = await keyRecord("ec", CREATED + 1);
    const active = await keyRecord("ed25519", CREATED + 2);
    for (const k of [retired, revoked, active]) await repo.upsertActive(k);
    await repo.retire(retired.kid, RETIRED);
    await repo.revoke(revoked.kid, REVOKED);
    const before = byKid(await repo.list());
    const added = await keyRecord("ec", CREATED + 3);
    await repo.upsertActive(added);
    const after = byKid(await repo.list());
    expect(after.filter((r) => r.kid !== added.kid)).toStrictEqual(before);
    expect(after.find((r) => r.kid === active.kid)?.status).toBe("active");
    expect(await find(repo, added.kid)).toStrictEqual(added);
  });

  it("retire marks an active key retired at atMs and touches no other key", async () => {
    const key = await keyRecord("ec");
    const other = await keyRecord("ed25519", CREATED + 1);
    await repo.upsertActive(key);
    await repo.upsertActive(other);
    await repo.retire(key.kid, RETIRED);
    expect(await find(repo, key.kid)).toStrictEqual({ ...key, status: "retired", retiredAtMs: RETIRED });
    expect(await find(repo, other.kid)).toStrictEqual(other);
  });

  it("retire is a no-op for a retired key (the first retiredAtMs stays)", async () => {
    const key = await keyRecord("ec");
    await repo.upsertActive(key);
    await repo.retire(key.kid, RETIRED);
    await repo.retire(key.kid, RETIRED + 60_000);
    expect(await find(repo, key.kid)).toStrictEqual({ ...key, status: "retired", retiredAtMs: RETIRED });
  });

  it("retire is a no-op for a revoked key", async () => {
    const key = await keyRecord("ec");
    await repo.upsertActive(key);
    await repo.revoke(key.kid, REVOKED);
    await repo.retire(key.kid, RETIRED);
    expect(await find(repo, key.kid)).toStrictEqual({ ...key, status: "revoked", revokedAtMs: REVOKED });
  });

  it("retire and revoke of an unknown kid record nothing", async () => {
    const key = await keyRecord("ec");
    await repo.upsertActive(key);
    await repo.retire("unknown-kid", RETIRED);
    await repo.revoke("unknown-kid", REVOKED);
    expect(await repo.list()).toStrictEqual([key]);
  });

  it("revoke marks an active key revoked at atMs", async () => {
    const key = await keyRecord("ed25519");
    await repo.upsertActive(key);
    await repo.revoke(key.kid, REVOKED);
    expect(await repo.list()).toStrictEqual([{ ...key, status: "revoked", revokedAtMs: REVOKED }]);
  });

  it("revoke marks a retired key revoked at atMs (its retiredAtMs stays)", async () => {
    const key = await keyRecord("ec");
    await repo.upsertActive(key);
    await repo.retire(key.kid, RETIRED);
    await repo.revoke(key.kid, REVOKED);
    expect(await repo.list()).toStrictEqual([{ ...key, status: "revoked", retiredAtMs: RETIRED, revokedAtMs: REVOKED }]);
  });

  it("revoke is idempotent and keeps the first revokedAtMs", async () => {
    const key = await keyRecord("ec");
    await repo.upsertActive(key);
    await repo.revoke(key.kid, REVOKED);
    await repo.revoke(key.kid, REVOKED + 60_000);
    await repo.revoke(key.kid, REVOKED - 60_000);
    expect(await repo.list()).toStrictEqual([{ ...key, status: "revoked", revokedAtMs: REVOKED }]);
  });

  it("public JWKs round-trip exactly (EC and OKP), with no private members", async () => {
    const ec = await keyRecord("ec");
    const okp = await keyRecord("ed25519", CREATED + 1);
    await repo.upsertActive(ec);
    await repo.upsertActive(okp);
    const storedEc = await find(repo, ec.kid);
    const storedOkp = await find(repo, okp.kid);
    expect(storedEc?.publicJwk).toStrictEqual(ec.publicJwk);
    expect(storedOkp?.publicJwk).toStrictEqual(okp.publicJwk);
    expect(storedEc?.alg).toBe("ES256");
    expect(storedOkp?.alg).toBe("EdDSA");
    expect(Object.keys(storedEc?.publicJwk ?? {}).sort()).toEqual(["crv", "kty", "x", "y"]);
    expect(Object.keys(storedOkp?.publicJwk ?? {}).sort()).toEqual(["crv", "kty", "x"]);
    expect(await jwkThumbprint(storedEc?.publicJwk ?? {})).toBe(ec.kid);
    expect(await jwkThumbprint(storedOkp?.publicJwk ?? {})).toBe(okp.kid);
  });

  it("timestamps round-trip to the millisecond, including far-future and pre-1970 values", async () => {
    const early = await keyRecord("ec", -86_400_000 + 7);
    const late = await keyRecord("ed25519", 4_102_444_800_001);
    await repo.upsertActive(early);
    await repo.upsertActive(late);
    await repo.retire(early.kid, 1);
    await repo.revoke(early.kid, 999);
    await repo.retire(late.kid, 4_102_444_800_999);
    expect(await find(repo, early.kid)).toStrictEqual({ ...early, status: "revoked", retiredAtMs: 1, revokedAtMs: 999 });
    expect(await find(repo, late.kid)).toStrictEqual({ ...late, status: "retired", retiredAtMs: 4_102_444_800_999 });
  });
});
