// Backup and restore for a least-privilege role, exactly as docs/operations.md says: pg_dump, a new database owned by the role, pg_restore --no-owner --role, the service on it as that role, the audit chain verified.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportAndVerify } from "../../src/cli/pilot/audit-export.js";
import { describeStartupFailure } from "../../src/startup-failure.js";
import { proofFor, registerAgent, verifyRequest } from "../support/agents.js";
import { eventually } from "../support/wire.js";
import { startTestApp, testMaterial, type TestApp } from "../support/app-harness.js";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import { databaseTargets, postgresOnlyTarget } from "../support/databases.js";

const postgres = postgresOnlyTarget();
const pglite = databaseTargets().find((d) => d.name === "pglite")!;

/** Runs a Postgres client tool; rejects with its stderr on a non-zero exit. */
function tool(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${command} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

describe.skipIf(postgres === undefined)("backup and restore for a least-privilege role (TEST_DATABASE_URL)", () => {
  const adminUrl = process.env.TEST_DATABASE_URL ?? "";
  const suffix = randomBytes(6).toString("hex");
  const role = `aid_app_${suffix}`;
  const password = randomBytes(12).toString("hex");
  const source = `aid_src_${suffix}`;
  const restored = `aid_restored_${suffix}`;
  const wrongOwner = `aid_wrong_${suffix}`;
  let admin: pg.Client;
  let work: string;
  let material: DevMaterial;

  /** A URL on database `db`, as `user` (the role, with its password, or the superuser). */
  const urlOf = (db: string, user: "role" | "superuser"): string => {
    const u = new URL(adminUrl);
    if (user === "role") {
      u.username = role;
      u.password = password;
    }
    u.pathname = `/${db}`;
    return u.toString();
  };
  const startAsRole = (db: string): Promise<TestApp> =>
    startTestApp({ database: pglite, material, env: { DATABASE_URL: urlOf(db, "role"), AUDIT_CHECKPOINT_INTERVAL_SECONDS: "1" } });

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    // docs/operations.md "Database role": a login role with no other powers, owning its database.
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
    await admin.query(`CREATE DATABASE ${source} OWNER ${role}`);
    await admin.query(`REVOKE ALL ON DATABASE ${source} FROM PUBLIC`);
    work = mkdtempSync(join(tmpdir(), "aid-restore-"));
    material = await testMaterial();
  });
  afterAll(async () => {
    for (const db of [source, restored, wrongOwner]) await admin?.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin?.query(`DROP ROLE IF EXISTS ${role}`);
    await admin?.end();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
    if (material !== undefined) rmSync(join(material.dir, ".."), { recursive: true, force: true });
  });

  it("dumps, restores into a new database owned by the role, starts on it as the role and verifies the audit chain", async () => {
    // The service runs as the role, migrates its own database and writes an audit chain with a checkpoint.
    const first = await startAsRole(source);
    let orgId: string;
    try {
      const { registry } = await first.adminClients();
      const agent = await registerAgent(first);
      orgId = agent.orgId;
      const rp = first.material.clients.relyingParty.identity;
      expect((await first.verifier().verify(verifyRequest({ credential: agent.credential }, await proofFor(agent.key, rp, agent.credential)))).reasonCode).toBe(
        "verified",
      );
      await registry.revokeAgent({ agentId: agent.agentId, reason: "before the backup" });
      await eventually(async () => (await checkpoints(source)) > 0, "an audit checkpoint");
    } finally {
      await first.close();
    }

    // Backup as the role itself (it owns everything it needs to read).
    const dump = join(work, "agent-identity.dump");
    await tool("pg_dump", ["-Fc", "--no-owner", "--no-privileges", "-d", urlOf(source, "role"), "-f", dump]);

    // Restore: a new database owned by the role, objects created as the role.
    await admin.query(`CREATE DATABASE ${restored} OWNER ${role}`);
    await admin.query(`REVOKE ALL ON DATABASE ${restored} FROM PUBLIC`);
    await tool("pg_restore", ["--no-owner", "--no-privileges", `--role=${role}`, "--exit-on-error", "-d", urlOf(restored, "superuser"), dump]);
    const owners = await query(restored, "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(owners.length).toBeGreaterThan(5);
    expect(owners.filter((r) => r.tableowner !== role)).toEqual([]);

    // The service starts on the restored database as the role, reads and writes, and the chain verifies.
    const second = await startAsRole(restored);
    try {
      const { admin: adminClient } = await second.adminClients();
      const before = await adminClient.listAuditEvents({ orgId: orgId!, pageSize: 100 });
      expect(before.events.map((e) => e.action)).toEqual(expect.arrayContaining(["org.created", "agent.registered", "verify.decision", "agent.revoked"]));
      await adminClient.createOrg({ name: `after restore ${suffix}` });
      const newest = await adminClient.listAuditEvents({ pageSize: 1 });
      const exported = await exportAndVerify(adminClient, 1n, newest.events[0]!.seq);
      expect(exported.result).toMatchObject({ ok: true, startSeq: 1 });
      expect(exported.result.ok && exported.result.checkpoints).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
  }, 240_000);

  it("the old way (restored as postgres, --no-owner) leaves tables the role cannot use, and the service says so in one line", async () => {
    const dump = join(work, "agent-identity.dump");
    await admin.query(`CREATE DATABASE ${wrongOwner}`);
    await tool("pg_restore", ["--no-owner", "-d", urlOf(wrongOwner, "superuser"), dump]);
    const owners = await query(wrongOwner, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'");
    expect(owners.map((r) => r.tableowner)).not.toContain(role);
    const env = { DATABASE_URL: urlOf(wrongOwner, "role") };
    const failure = await startAsRole(wrongOwner).then(
      async (app) => {
        await app.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(failure).toBeDefined();
    const config = loadConfig({ APP_ENV: "development", PGLITE_DATA_DIR: "memory://", ...env }, { devMaterial: material });
    expect(describeStartupFailure(failure, config)).toMatch(/^the database role lacks privileges on .* as aid_app_.*permission denied.*DATABASE_URL/);
  }, 120_000);

  async function query(db: string, sql: string): Promise<Record<string, string>[]> {
    const c = new pg.Client({ connectionString: urlOf(db, "superuser") });
    await c.connect();
    try {
      return (await c.query<Record<string, string>>(sql)).rows;
    } finally {
      await c.end();
    }
  }

  async function checkpoints(db: string): Promise<number> {
    return Number((await query(db, "SELECT count(*) AS n FROM audit_checkpoints"))[0]!.n);
  }
});
