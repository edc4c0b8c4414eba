// issuer:revoke: the revoke rules on SQL (PGlite), and end to end: the CLI revokes the running service's key
// in Postgres and the Redis announcement makes the service drop it from the JWKS and refuse its credentials.
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryInvalidationBus } from "../../src/adapters/memory/invalidation-bus.js";
import { sqlIssuerKeyRepository } from "../../src/adapters/sql/issuer-key-repository.js";
import { issuerRevoke, parseRevokeArgs, revokeIssuerKey } from "../../src/cli/issuer-revoke.js";
import { AgentIdentityClient } from "../../src/client/agent.js";
import type { IssuerKeyRepository } from "../../src/domain/issuer/ports.js";
import type { Invalidation } from "../../src/domain/verify/invalidation.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets, postgresOnlyTarget, redisTarget, type RedisTarget, type TestDatabase } from "../support/databases.js";
import { runChild, TSX } from "./support.js";

async function record(repository: IssuerKeyRepository, kid: string, atMs: number): Promise<void> {
  const { publicKey } = await generateKeyPair("ES256", { extractable: true });
  await repository.upsertActive({ kid, alg: "ES256", publicJwk: await exportJWK(publicKey), status: "active", createdAtMs: atMs });
}

describe("parseRevokeArgs", () => {
  it("reads a kid, --force and --list; anything else is usage", () => {
    expect(parseRevokeArgs(["k1"])).toEqual({ kind: "revoke", kid: "k1", force: false });
    expect(parseRevokeArgs(["--force", "k1"])).toEqual({ kind: "revoke", kid: "k1", force: true });
    expect(parseRevokeArgs(["--list"])).toEqual({ kind: "list" });
    expect(parseRevokeArgs([])).toBeUndefined();
    expect(parseRevokeArgs(["a", "b"])).toBeUndefined();
    expect(parseRevokeArgs(["--kid"])).toBeUndefined();
  });

  it("needs DATABASE_URL", async () => {
    const errors: string[] = [];
    expect(await issuerRevoke(["k1"], {}, () => undefined, (l) => errors.push(l))).toBe(2);
    expect(errors.join("\n")).toContain("DATABASE_URL is required");
  });
});

describe("revokeIssuerKey on SQL (PGlite)", () => {
  let db: TestDatabase;
  let repository: IssuerKeyRepository;
  const bus = new MemoryInvalidationBus();
  const heard: Invalidation[] = [];
  beforeAll(async () => {
    db = await databaseTargets()[0]!.open();
    repository = sqlIssuerKeyRepository(db);
    await record(repository, "old-key", Date.now() - 60_000);
    await repository.retire("old-key", Date.now() - 30_000);
    await record(repository, "new-key", Date.now() - 30_000);
    await bus.subscribe((m) => heard.push(m), () => undefined);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("refuses an unknown kid and the active key without force, changing nothing", async () => {
    expect(await revokeIssuerKey({ repository, bus }, "nope", false)).toEqual({ ok: false, reason: "unknown_kid", problem: expect.stringContaining("no issuer key") });
    const active = await revokeIssuerKey({ repository, bus }, "new-key", false);
    expect(active.ok).toBe(false);
    expect(active.ok ? "" : active.problem).toContain("ACTIVE");
    expect((await repository.list()).map((r) => [r.kid, r.status])).toEqual([
      ["old-key", "retired"],
      ["new-key", "active"],
    ]);
    expect(heard).toEqual([]);
  });

  it("revokes a retired key and announces issuer_keys on the bus", async () => {
    expect(await revokeIssuerKey({ repository, bus }, "old-key", false)).toEqual({ ok: true, kid: "old-key", previousStatus: "retired", published: true });
    const old = (await repository.list()).find((r) => r.kid === "old-key");
    expect(old?.status).toBe("revoked");
    expect(old?.revokedAtMs).toBeGreaterThan(0);
    expect(heard).toEqual([{ kind: "issuer_keys" }]);
  });

  it("revokes the active key with force", async () => {
    expect(await revokeIssuerKey({ repository, bus: undefined }, "new-key", true)).toMatchObject({ ok: true, previousStatus: "active", published: false });
    expect((await repository.list()).every((r) => r.status !== "active")).toBe(true);
  });
});

const postgres = postgresOnlyTarget();
const redis = redisTarget();

describe.skipIf(postgres === undefined || redis === undefined)(
  "npm run issuer:revoke against a running service (skipped without TEST_DATABASE_URL and TEST_REDIS_URL)",
  () => {
    let t: TestApp;
    let redisInUse: RedisTarget;
    beforeAll(async () => {
      redisInUse = redis!;
      t = await startTestApp({ database: postgres!, redis: redisInUse });
    });
    afterAll(async () => {
      await t?.close();
      await redisInUse?.cleanup();
    });

    it("revokes the active key with --force; the service stops publishing it and refuses its credentials", async () => {
      const { admin, registry } = await t.adminClients();
      const issuerUrl = t.config.issuer.issuerUrl;
      const { org } = await admin.createOrg({ name: "revoke drill" });
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const agent = await AgentIdentityClient.fromJwk(await exportJWK(privateKey), { serviceAudience: issuerUrl });
      const registered = await registry.registerAgent({
        orgId: org!.id,
        displayName: "drill",
        publicJwk: JSON.stringify(agent.publicJwk),
        capabilities: { scopes: ["s"], operations: ["o"], amountLimits: [] },
        possessionProof: await agent.makePossessionProof({ op: "agent.register", audience: issuerUrl, orgId: org!.id }),
      });
      const credential = registered.credential!.token;
      const kid = registered.credential!.kid;
      const verifier = t.verifier();
      const verify = async () =>
        verifier.verify({
          presented: { case: "credential", value: credential },
          proof: await agent.makeProof({
            audience: t.material.clients.relyingParty.identity,
            scope: "s",
            op: "o",
            amountMinor: 0,
            currency: "",
            credentialOrSession: credential,
          }),
          scope: "s",
          operation: "o",
          amountMinor: 0n,
          currency: "",
        });
      expect((await verify()).reasonCode).toBe("verified");

      const env = { DATABASE_URL: t.databaseUrl!, REDIS_URL: redisInUse.url, REDIS_KEY_PREFIX: redisInUse.prefix };
      const list = await runChild(TSX, ["src/cli/issuer-revoke.ts", "--list"], env);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(`${kid}  active`);

      const refused = await runChild(TSX, ["src/cli/issuer-revoke.ts", kid], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("ACTIVE issuer key");

      const revoked = await runChild(TSX, ["src/cli/issuer-revoke.ts", kid, "--force"], env);
      expect(revoked.stderr).toBe("");
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`revoked issuer key ${kid} (was active)`);

      // The announcement reaches the service asynchronously (pub/sub): wait until its JWKS no longer lists the kid.
      let kids: string[] = [kid];
      for (let i = 0; i < 100 && kids.includes(kid); i++) {
        kids = (JSON.parse((await verifier.getJwks({})).jwksJson) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
        if (kids.includes(kid)) await new Promise((r) => setTimeout(r, 100));
      }
      expect(kids).not.toContain(kid);
      expect((await verify()).reasonCode).toBe("unknown_issuer_key");
    }, 180_000);
  },
);
