// docs/operations.md, command by command: every command is run here or covered by a named test (doc-commands.ts),
// and the runnable ones run: section 1's secrets in a scratch folder, readiness and the seed guide's
// `ADMIN_API_KEY=... npm run test:integration` against a service started on free ports, the rollback query.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDotEnv } from "../../src/config/env-file.js";
import { loadConfig } from "../../src/config/load.js";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, testMaterial, type TestApp } from "../support/app-harness.js";
import { COVERAGE, coverageOf, docCommands, type DocCommand } from "./doc-commands.js";
import { REPO_ROOT, runChild, TSX } from "./support.js";

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");
const commands = docCommands(read("docs/operations.md"));
const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;

/** The one command of the guide a coverage pattern names (so the test runs the guide's own text). */
function docCommand(pattern: RegExp): string {
  const found = commands.filter((c) => pattern.test(c.text));
  expect(found.length, String(pattern)).toBeGreaterThan(0);
  return found[0]!.text;
}

/** `npm run <tsx script> --` as what the script runs, so it works in a scratch folder (npm would cd to the project). */
function viaScript(command: string): string {
  return command.replace(/npm run ([a-z:]+)(?: --)?/g, (_, name: string) => {
    const script = scripts[name]!;
    expect(script, name).toMatch(/^tsx src\//);
    return script.replace(/^tsx /, `"${TSX}" `).replace(/\bsrc\//, `${REPO_ROOT}/src/`);
  });
}

const sh = (script: string, cwd: string, env: Record<string, string> = {}, timeoutMs?: number) =>
  runChild("sh", ["-c", `cd "${cwd}" && ${script}`], env, timeoutMs);

describe("docs/operations.md commands", () => {
  it("every command is run or covered, and each covering test exists and is about it", () => {
    const unmapped = commands.filter((c) => coverageOf(c) === undefined).map((c: DocCommand) => `${c.kind}: ${c.text}`);
    expect(unmapped).toEqual([]);
    expect(commands.length).toBeGreaterThan(40);
    for (const c of COVERAGE) {
      expect(existsSync(join(REPO_ROOT, c.by)), c.by).toBe(true);
      if (c.mentions !== undefined) expect(read(c.by), `${c.by} covers ${c.pattern}`).toContain(c.mentions);
      if (c.how === "external") expect(c.why, String(c.pattern)).toBeDefined();
    }
    const used = new Set(commands.map((c) => coverageOf(c)));
    expect(COVERAGE.filter((c) => !used.has(c)).map((c) => String(c.pattern)), "entries no command uses").toEqual([]);
  });

  describe("section 1 in a scratch folder", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "aid-ops-doc-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("makes the secrets, the admin key in .env and the development certificates a production start accepts", async () => {
      const steps = [
        docCommand(/^mkdir -p secrets\/tls/),
        viaScript(docCommand(/--out secrets\/issuer\.jwk\.json$/)),
        viaScript(docCommand(/--out secrets\/admin-token\.jwk\.json$/)),
        docCommand(/^echo "ADMIN_API_KEYS=/),
        viaScript("npm run certs:dev"),
        docCommand(/^cp certs\/dev\/server\.crt secrets\/tls\/server\.crt$/),
        "cp certs/dev/server.key secrets/tls/server.key && cp certs/dev/ca.crt secrets/tls/client-ca.crt",
      ];
      const run = await sh(steps.join(" && "), dir, { DEV_DIR: join(dir, "certs", "dev") });
      expect(run.stderr.replace(/^npm warn.*\n/gm, ""), run.stdout).not.toMatch(/error/i);
      expect(run.code).toBe(0);
      expect(statSync(join(dir, "secrets")).mode & 0o777).toBe(0o700);
      for (const f of ["issuer.jwk.json", "admin-token.jwk.json"]) expect(statSync(join(dir, "secrets", f)).mode & 0o777).toBe(0o600);

      // `set -a; . ./.env; set +a` exports the key unchanged (base64 with "+", "/", "=").
      const sourced = await sh(`${docCommand(/^set -a; \. \.\/\.env; set \+a$/)} && printf %s "$ADMIN_API_KEYS"`, dir);
      const key = readDotEnv(join(dir, ".env")).ADMIN_API_KEYS!;
      expect(key.length).toBeGreaterThanOrEqual(40);
      expect(sourced.stdout).toBe(key);

      const config = loadConfig(
        {
          ...readDotEnv(join(dir, ".env")),
          APP_ENV: "production",
          DATABASE_URL: "postgres://agent_identity:pw@db.internal:5432/agent_identity",
          REDIS_URL: "redis://redis.internal:6379",
          ISSUER_PRIVATE_JWK_FILE: "secrets/issuer.jwk.json",
          ADMIN_JWT_PRIVATE_JWK_FILE: "secrets/admin-token.jwk.json",
          TLS_CERT_FILE: "secrets/tls/server.crt",
          TLS_KEY_FILE: "secrets/tls/server.key",
          TLS_CLIENT_CA_FILE: "secrets/tls/client-ca.crt",
        },
        { baseDir: dir },
      );
      expect(config.mode).toBe("production");
    }, 120_000);

    it("the PEER_ROLES example loads for its trust domain", async () => {
      const line = docCommand(/^PEER_ROLES=spiffe:\/\//);
      const env = { APP_ENV: "development", PGLITE_DATA_DIR: "memory://", SPIFFE_TRUST_DOMAIN: "prod.example", PEER_ROLES: line.slice("PEER_ROLES=".length) };
      const material = await testMaterial();
      try {
        expect(JSON.stringify(loadConfig(env, { devMaterial: material }))).toContain("spiffe://prod.example/rp/");
      } finally {
        rmSync(join(material.dir, ".."), { recursive: true, force: true });
      }
    });
  });

  describe("against a running service", () => {
    const RATE_LIMIT = 20;
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        database: databaseTargets()[0]!,
        env: { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), AGENT_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) },
      });
    });
    afterAll(async () => {
      await t?.close();
    });
    const onSidecar = (command: string) => command.replace("127.0.0.1:8080", `127.0.0.1:${t.app.server.sidecarPort}`);

    it("section 3: curl /readyz answers ok, and buf curl health on the sidecar says SERVING", async () => {
      const ready = await sh(onSidecar(docCommand(/^curl -s http:\/\/127\.0\.0\.1:8080\/readyz$/)), REPO_ROOT);
      expect(ready.code).toBe(0);
      expect(JSON.parse(ready.stdout)).toMatchObject({ ok: true });
      const health = docCommand(/buf curl .*Health\/Check$/);
      const serving = await sh(onSidecar(health), REPO_ROOT);
      expect(serving.stderr).toBe("");
      expect(JSON.parse(serving.stdout)).toEqual({ status: "SERVING" });
      // Without --schema (the sidecar has no reflection) the same call fails: the reason the guide names it.
      const bare = await sh(onSidecar(health.replace(" --schema proto", "")), REPO_ROOT);
      expect(bare.code).not.toBe(0);
    }, 60_000);

    it("section 5: the seed guide's `ADMIN_API_KEY=... npm run test:integration` passes against it", async () => {
      const command = docCommand(/^ADMIN_API_KEY="\$\(cat certs\/dev\/admin-api-key\)" npm run test:integration$/).replace("certs/dev", t.material.dir);
      // The guide's defaults (https://localhost:8443, certs/dev) name `npm start`; this service listens on a free port.
      const env = { PILOT_ADDR: t.baseUrl, PILOT_DEV_DIR: t.material.dir, PILOT_RATE_LIMIT: String(RATE_LIMIT) };
      const run = await sh(command, REPO_ROOT, env, 240_000);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(/1 passed/);
    }, 300_000);
  });

  it("section 9: the schema_migrations query answers on a migrated database", async () => {
    const db = await databaseTargets()[0]!.open();
    try {
      const query = commands.find((c) => c.text.startsWith("SELECT version, compatible_with"))!.text;
      const rows = await db.query<{ version: unknown; compatible_with: unknown }>(query);
      expect(rows.length).toBeGreaterThan(0);
      expect(Object.keys(rows[0]!).sort()).toEqual(["compatible_with", "version"]);
    } finally {
      await db.dispose();
    }
  });
});
