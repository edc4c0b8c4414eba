/**
 * The admin CLI end to end (in-process service over real mTLS, the CLI's own command runner): the README's
 * walkthrough, twice in a row in the same work folder, with --json parsed at every step and the tables checked.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentIdentityClient } from "../../src/client/agent.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { verifyOnce } from "../support/agents.js";
import { agentKeyFiles, cli, parsed, type CliRun } from "./admin-cli-support.js";

interface JsonAgent {
  id: string;
  orgId: string;
  status: string;
  revokeReason?: string;
  capabilities: { scopes: string[]; operations: string[]; amountLimits: { currency: string; maxAmountMinor: string }[] };
}

describe.each(databaseTargets())("admin CLI walkthrough on $name", (target) => {
  let t: TestApp;
  let work: string;
  let run: (...argv: string[]) => Promise<CliRun>;

  beforeAll(async () => {
    t = await startTestApp({ database: target, env: { AUDIT_CHECKPOINT_INTERVAL_SECONDS: "1" } });
    work = mkdtempSync(join(tmpdir(), "aid-admin-cli-"));
    run = cli(t, work);
  });
  afterAll(async () => {
    await t?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** Steps 1-2: an organisation and an agent registered from the public key and proof files the agent made. */
  async function orgAndAgent(round: number): Promise<{ orgId: string; agentId: string; credFile: string; key: AgentIdentityClient }> {
    const created = await run("orgs", "create", "--name", `Acme ${Date.now()}-${round}`, "--tier", "verified", "-q");
    expect(created).toMatchObject({ code: 0, err: "" });
    const orgId = created.out;
    expect(orgId).toMatch(/^org_[0-9a-z]{26}$/);
    expect(parsed<{ org: { tier: string } }>(await run("orgs", "get", orgId, "--json")).org.tier).toBe("ORG_TIER_VERIFIED");

    const files = await agentKeyFiles(t, work, `agent-${orgId}`, orgId);
    const credFile = join(work, `cred-${orgId}.jwt`);
    const registered = parsed<{ agent: JsonAgent; credential: { token: string } }>(
      await run("agents", "register", "--org", orgId, "--name", "billing bot", "--public-jwk", files.publicFile, "--proof", files.proofFile,
        "--scope", "payments:write", "--op", "payment.create", "--limit", "EUR:10000", "--meta", "team=payments", "--credential-out", credFile, "--json"),
    );
    const agentId = registered.agent.id;
    expect(registered.agent.capabilities.amountLimits).toEqual([{ currency: "EUR", maxAmountMinor: "10000" }]);
    expect(readFileSync(credFile, "utf8").trim()).toBe(registered.credential.token);
    expect(statSync(credFile).mode & 0o777).toBe(0o600);

    const listed = parsed<{ agents: JsonAgent[] }>(await run("agents", "list", "--org", orgId, "--status", "active", "--json"));
    expect(listed.agents.map((a) => a.id)).toEqual([agentId]);
    const table = await run("agents", "list", "--org", orgId);
    expect(table.out.split("\n")[0]).toMatch(/^ID\s+ORG\s+NAME\s+STATUS\s+SCOPES\s+CREATED$/);
    expect(table.out).toContain(`${agentId}  ${orgId}  billing bot  active`);
    expect(parsed<{ agent: JsonAgent }>(await run("agents", "get", agentId, "--json")).agent.status).toBe("AGENT_STATUS_ACTIVE");
    return { orgId, agentId, credFile, key: files.key };
  }

  /** Step 3: capabilities, a fresh credential that verifies, telemetry, the trust score, the revocation. */
  async function lifecycle(agentId: string, credFile: string, key: AgentIdentityClient, round: number): Promise<void> {
    const updated = parsed<{ agent: JsonAgent }>(
      await run("agents", "update-capabilities", agentId, "--scope", "payments:write", "--scope", "orders:read", "--op", "payment.create", "--limit", "EUR:20000", "--json"),
    );
    expect(updated.agent.capabilities.scopes).toEqual(["orders:read", "payments:write"]);
    const issued = await run("agents", "issue-credential", agentId, "--credential-out", credFile, "--force");
    expect(issued.code).toBe(0);
    expect(issued.out).toContain(`written to ${credFile} (0600)`);
    expect(issued.out).not.toContain(readFileSync(credFile, "utf8").trim());
    expect((await verifyOnce(t, t.verifier(), key, readFileSync(credFile, "utf8").trim())).valid).toBe(true);

    const reported = parsed<{ eventId: string; trustScore: { score: number } }>(
      await run("trust", "report", agentId, "--event-type", "task", "--success", "--sla-met", "--latency-ms", "120", "--uptime", "0.999", "--json"),
    );
    expect(reported.eventId).toMatch(/^tev_/);
    const score = parsed<{ trustScore: { score: number; factors: { name: string }[] } }>(await run("trust", "score", agentId, "--json"));
    expect(score.trustScore.factors.map((f) => f.name)).toContain("uptime");
    expect((await run("trust", "score", agentId)).out).toMatch(/FACTOR\s+WEIGHT\s+VALUE\s+POINTS\nsuccess_rate\s+35\s/);

    const revoked = parsed<{ agent: JsonAgent }>(await run("agents", "revoke", agentId, "--reason", `walkthrough round ${round}`, "--json"));
    expect(revoked.agent).toMatchObject({ status: "AGENT_STATUS_REVOKED", revokeReason: `walkthrough round ${round}` });
  }

  /** Step 4: the audit trail, an export with progress, its offline check, the issuer keys. */
  async function auditAndKeys(orgId: string, round: number): Promise<void> {
    const audit = parsed<{ events: { action: string; details?: Record<string, unknown> }[] }>(await run("audit", "list", "--org", orgId, "--all", "--json"));
    const actions = audit.events.map((e) => e.action);
    for (const a of ["org.created", "agent.registered", "agent.capabilities_updated", "credential.issued", "telemetry.reported", "agent.revoked"]) {
      expect(actions).toContain(a);
    }
    expect(audit.events.find((e) => e.action === "agent.revoked")?.details).toMatchObject({ reason: `walkthrough round ${round}` });
    const revocations = parsed<{ events: unknown[] }>(await run("audit", "list", "--org", orgId, "--action", "agent.revoked", "--json"));
    expect(revocations.events).toHaveLength(1);

    const exportFile = join(work, `audit-${orgId}.jsonl`);
    const exported = await run("audit", "export", "--out", exportFile);
    expect(exported.code).toBe(0);
    expect(exported.err).toMatch(/^exporting seq 1\.\.\d+ \(\d+ events\) to /);
    expect(exported.err).toMatch(/exported \d+ events and \d+ signed checkpoints to /);
    const verified = await run("audit", "verify", exportFile, "--jwks", `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`);
    expect(verified).toMatchObject({ code: 0, err: "" });
    expect(verified.out).toMatch(/^OK seq 1\.\.\d+ \(\d+ events, \d+ signed checkpoints verified\)$/);
    expect(parsed<{ kind: string }>(await run("audit", "verify", exportFile, "--jwks", `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`, "--json")).kind).toBe("ok");

    const keys = parsed<{ keys: { kid: string; status: string }[] }>(await run("issuer-keys", "list", "--json"));
    expect(keys.keys.map((k) => k.status)).toContain("active");
    expect((await run("issuer-keys", "list")).out).toContain(keys.keys[0]!.kid);
  }

  /** The README walkthrough; every file name derives from the new org id, so a second round collides with nothing. */
  async function walkthrough(round: number): Promise<void> {
    const { orgId, agentId, credFile, key } = await orgAndAgent(round);
    await lifecycle(agentId, credFile, key, round);
    await auditAndKeys(orgId, round);
  }

  it("runs the whole walkthrough twice in a row in the same folder", async () => {
    await walkthrough(1);
    await walkthrough(2);
    const orgs = parsed<{ orgs: unknown[] }>(await run("orgs", "list", "--all", "--json"));
    expect(orgs.orgs.length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("rotates an agent's key with a proof made from its private key here (the key itself is never sent)", async () => {
    const orgId = (await run("orgs", "create", "--name", `Rotate ${Date.now()}`, "-q")).out;
    const first = await agentKeyFiles(t, work, `rotate-a-${orgId}`, orgId);
    const agentId = (await run("agents", "register", "--org", orgId, "--name", "rotator", "--agent-key", first.privateFile, "--scope", "payments:write", "--op", "payment.create", "--limit", "EUR:10000", "-q")).out;
    expect(agentId).toMatch(/^agt_/);
    const second = await agentKeyFiles(t, work, `rotate-b-${orgId}`, orgId);
    const rotated = parsed<{ agent: { keyThumbprint: string }; credential: { token: string } }>(
      await run("agents", "rotate-key", agentId, "--agent-key", second.privateFile, "--json"),
    );
    expect(rotated.agent.keyThumbprint).toBe(second.key.thumbprint);
    expect((await verifyOnce(t, t.verifier(), second.key, rotated.credential.token)).valid).toBe(true);
    // A private JWK given as the public key is refused before anything is sent.
    const leaked = await run("agents", "rotate-key", agentId, "--public-jwk", second.privateFile, "--proof", second.proofFile);
    expect(leaked.code).toBe(3);
    expect(leaked.err).toContain('holds a PRIVATE key ("d")');
  });
});
