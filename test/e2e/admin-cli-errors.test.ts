/**
 * The admin CLI's failures end to end: each is one line naming the gRPC code and x-error-code (or the local cause)
 * with its documented exit code, also as a real `npm run admin` process; the admin JWT is refreshed when the server
 * says it expired; issuer keys through the database where there is no RPC.
 */
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommandArgs } from "../../src/cli/admin/args.js";
import { EXIT } from "../../src/cli/admin/failures.js";
import { openSession } from "../../src/cli/admin/session.js";
import { resolveSettings } from "../../src/cli/admin/settings.js";
import { ManualClock } from "../../src/domain/clock.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { cli, cliEnv, npmRunAdmin, parsed, type CliRun } from "./admin-cli-support.js";

const WRONG_KEY = "wrong-admin-key-0123456789abcdef";

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function oneLine(run: CliRun): string {
  expect(run.err.trim().split("\n")).toHaveLength(1);
  expect(run.err).not.toMatch(/\n\s+at /);
  return run.err.trim();
}

describe.each(databaseTargets())("admin CLI failures on $name", (target) => {
  const clock = new ManualClock(Date.now());
  let t: TestApp;
  let work: string;
  let run: (...argv: string[]) => Promise<CliRun>;

  beforeAll(async () => {
    t = await startTestApp({ database: target, clock });
    work = mkdtempSync(join(tmpdir(), "aid-admin-cli-errors-"));
    run = cli(t, work);
  });
  afterAll(async () => {
    await t?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it("a bad address, a wrong key, a missing key file: one line each, exit 4, 5 and 3, no secret", async () => {
    const port = await closedPort();
    const down = await run("orgs", "list", "--addr", `https://127.0.0.1:${port}`);
    expect(down.code).toBe(EXIT.unavailable);
    expect(oneLine(down)).toMatch(new RegExp(`^admin orgs list: UNAVAILABLE x-error-code=none: .*is the service running at https://127\\.0\\.0\\.1:${port}\\?`));

    const wrong = await cli(t, work, { ADMIN_API_KEY: WRONG_KEY })("orgs", "list");
    expect(wrong.code).toBe(EXIT.auth);
    expect(oneLine(wrong)).toBe(
      "admin orgs list: UNAUTHENTICATED x-error-code=admin.key_invalid: invalid admin api key (the admin API key came from ADMIN_API_KEY)",
    );
    expect(wrong.out).toBe("");

    const noFile = await run("orgs", "list", "--api-key-file", join(work, "absent"));
    expect(noFile.code).toBe(EXIT.local);
    expect(oneLine(noFile)).toContain(`tried ${join(work, "absent")}`);
    expect(`${down.err}${wrong.err}${noFile.err}`).not.toContain(t.adminApiKey);
  });

  it("server refusals carry their code: not found 6, invalid 8, conflict 7, usage 2", async () => {
    const missing = await run("agents", "get", "agt_00000000000000000000000000");
    expect([missing.code, oneLine(missing)]).toEqual([EXIT.notFound, "admin agents get: NOT_FOUND x-error-code=agent.not_found: agent not found"]);
    const invalid = await run("orgs", "get", "not-an-id");
    expect(invalid.code).toBe(EXIT.invalid);
    expect(oneLine(invalid)).toMatch(/^admin orgs get: INVALID_ARGUMENT x-error-code=org\.invalid_id: .*org_id/);
    const name = `Twice ${Date.now()}`;
    expect((await run("orgs", "create", "--name", name)).code).toBe(0);
    const taken = await run("orgs", "create", "--name", name.toUpperCase());
    expect([taken.code, oneLine(taken)]).toEqual([EXIT.conflict, expect.stringMatching(/^admin orgs create: ALREADY_EXISTS x-error-code=org\.name_taken: /)]);
    const usage = await run("agents", "revoke", "agt_00000000000000000000000000");
    expect([usage.code, oneLine(usage)]).toEqual([EXIT.usage, "admin agents revoke: --reason is required (see npm run admin -- agents revoke --help)"]);
    expect((await run("nope", "list")).code).toBe(EXIT.usage);
    expect((await run("orgs", "list", "--json", "-q")).code).toBe(EXIT.usage);
    expect((await run("orgs", "create", "--help")).out).toContain("usage: npm run admin -- orgs create --name NAME");
  });

  it("output files are never overwritten silently; a tampered export fails verify with exit 10", async () => {
    const file = join(work, "audit.jsonl");
    expect((await run("audit", "export", "--out", file, "-q")).code).toBe(0);
    const again = await run("audit", "export", "--out", file);
    expect([again.code, oneLine(again)]).toEqual([EXIT.local, `admin audit export: ${file} already exists; pass --force to overwrite it`]);
    const credOut = join(work, "cred.jwt");
    writeFileSync(credOut, "keep me");
    const cred = await run("agents", "issue-credential", "agt_00000000000000000000000000", "--credential-out", credOut);
    expect(cred.code).toBe(EXIT.local);
    expect(readFileSync(credOut, "utf8")).toBe("keep me");

    const lines = readFileSync(file, "utf8").trim().split("\n");
    const i = lines.findIndex((l) => l.startsWith('{"event"'));
    lines[i] = lines[i]!.replace(/"actor":"[^"]*"/, '"actor":"spiffe://agent-identity.local/admin/someone-else"');
    const forged = join(work, "forged.jsonl");
    writeFileSync(forged, `${lines.join("\n")}\n`);
    const broken = await run("audit", "verify", forged, "--jwks", `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`);
    expect(broken.code).toBe(EXIT.auditBroken);
    expect(oneLine(broken)).toMatch(/^BROKEN at seq 1: /);
    expect(parsed<{ kind: string }>({ ...(await run("audit", "verify", file, "--jwks", `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`, "--json")) }).kind).toBe("ok");
  });

  it("refreshes the admin JWT when the server says it expired, and retries the call once", async () => {
    const session = openSession(resolveSettings(parseCommandArgs([]), cliEnv(t), work));
    try {
      await session.admin.listOrgs({});
      clock.advance(16 * 60_000);
      await session.admin.listOrgs({});
      expect(session.tokens.exchanges).toBe(2);
    } finally {
      session.close();
    }
  });

  it("issuer keys: rotate writes a 0600 key file; recorded keys and revoke need DATABASE_URL", async () => {
    const out = join(work, "issuer-next.jwk.json");
    const rotated = parsed<{ kid: string; active: boolean }>(await run("issuer-keys", "rotate", "--out", out, "--json"));
    expect(rotated.active).toBe(false);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ kid: rotated.kid, kty: "EC", crv: "P-256" });
    expect((await run("issuer-keys", "rotate", "--out", out)).code).toBe(EXIT.local);

    const noDb = await run("issuer-keys", "revoke", "some-kid");
    expect([noDb.code, oneLine(noDb)]).toEqual([EXIT.local, expect.stringContaining("needs DATABASE_URL")]);
    if (t.databaseUrl === undefined) return;
    const withDb = cli(t, work, { DATABASE_URL: t.databaseUrl });
    const recorded = parsed<{ keys: { kid: string; status: string }[] }>(await withDb("issuer-keys", "list", "--recorded", "--json"));
    const active = recorded.keys.find((k) => k.status === "active")!;
    const refused = await withDb("issuer-keys", "revoke", active.kid);
    expect([refused.code, oneLine(refused)]).toEqual([EXIT.conflict, expect.stringContaining("is the ACTIVE issuer key")]);
    expect((await withDb("issuer-keys", "revoke", "no-such-kid")).code).toBe(EXIT.notFound);
  });

  it("as a real `npm run admin` process: JSON on stdout, and one-line errors with their exit codes", async () => {
    const env = { ...cliEnv(t), ADMIN_API_KEY: t.adminApiKey };
    const ok = await npmRunAdmin(["orgs", "list", "--json"], env);
    expect(ok.code).toBe(0);
    expect(Array.isArray(parsed<{ orgs: unknown[] }>(ok).orgs)).toBe(true);
    const wrong = await npmRunAdmin(["orgs", "list"], { ...env, ADMIN_API_KEY: WRONG_KEY });
    expect([wrong.code, oneLine(wrong), wrong.err]).toEqual([EXIT.auth, expect.stringContaining("x-error-code=admin.key_invalid"), expect.not.stringContaining(WRONG_KEY)]);
    const down = await npmRunAdmin(["orgs", "list"], { ...env, AGENT_IDENTITY_ADDR: `https://127.0.0.1:${await closedPort()}` });
    expect([down.code, oneLine(down)]).toEqual([EXIT.unavailable, expect.stringMatching(/^admin orgs list: UNAVAILABLE /)]);
  }, 60_000);
});
