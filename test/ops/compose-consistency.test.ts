// infra/docker-compose.yml and infra/Dockerfile checked against the code (no Docker engine runs here).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import { testMaterial } from "../support/app-harness.js";
import { configVariableNames, envExampleNames } from "./config-names.js";
import { asList, asMap, asString, parseMiniYaml, type YamlValue } from "./mini-yaml.js";
import { REPO_ROOT } from "./support.js";

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");

interface DockerInstruction {
  readonly op: string;
  readonly args: string;
  /** The build stage the instruction belongs to (0-based). */
  readonly stage: number;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function dockerInstructions(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let stage = -1;
  let pending = "";
  for (const raw of text.split(/\r?\n/)) {
    if (pending === "" && /^\s*(#|$)/.test(raw)) continue;
    const line = raw.replace(/\s+$/, "");
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = `${pending}${line.trim()}`;
    pending = "";
    const m = /^([A-Z]+)\s+(.*)$/.exec(full);
    if (m === null) throw new Error(`unparsable Dockerfile line: ${full}`);
    if (m[1] === "FROM") stage++;
    out.push({ op: m[1]!, args: m[2]!, stage });
  }
  return out;
}

/** "KEY=value KEY2=value" (ENV), values without spaces or double-quoted. */
function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    pairs[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  }
  return pairs;
}

/** Variables the image sets that belong to the Node.js runtime, not to the service's config. */
const RUNTIME_ONLY_VARIABLES: Record<string, string> = { NODE_ENV: "Node.js convention (libraries' production mode); the service reads APP_ENV" };

const SECRET_MOUNT = "/run/secrets/";

describe("infra/docker-compose.yml and infra/Dockerfile against the code", () => {
  const compose = asMap(parseMiniYaml(read("infra/docker-compose.yml")), "compose file");
  const services = asMap(compose.services, "services");
  const api = asMap(services.api, "services.api");
  const apiEnv = asMap(api.environment, "services.api.environment");
  const docker = dockerInstructions(read("infra/Dockerfile"));
  const lastStage = Math.max(...docker.map((i) => i.stage));
  const runtime = docker.filter((i) => i.stage === lastStage);
  const configNames = configVariableNames();
  const documented = envExampleNames();
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;

  let material: DevMaterial;
  let secretsDir: string;
  beforeAll(async () => {
    material = await testMaterial();
    secretsDir = mkdtempSync(join(tmpdir(), "aid-secrets-"));
  });
  afterAll(() => {
    if (material !== undefined) rmSync(join(material.dir, ".."), { recursive: true, force: true });
    if (secretsDir !== undefined) rmSync(secretsDir, { recursive: true, force: true });
  });

  it("reads the names the loader really uses (sanity of the extraction)", () => {
    for (const name of ["APP_ENV", "GRPC_PORT", "DATABASE_URL", "REDIS_URL", "TLS_CERT_FILE", "ISSUER_PRIVATE_JWK_FILE", "ADMIN_API_KEYS"]) {
      expect(configNames).toContain(name);
      expect(documented).toContain(name);
    }
    expect(configNames).not.toContain("NOT_A_VARIABLE");
  });

  it("every variable the api service and the image set exists in the config loader and in .env.example", () => {
    const imageEnv = Object.assign({}, ...runtime.filter((i) => i.op === "ENV").map((i) => envPairs(i.args))) as Record<string, string>;
    const set = [...Object.keys(apiEnv), ...Object.keys(imageEnv).filter((n) => RUNTIME_ONLY_VARIABLES[n] === undefined)];
    expect(set.length).toBeGreaterThan(5);
    expect(set.filter((n) => !configNames.has(n))).toEqual([]);
    expect(set.filter((n) => !documented.has(n))).toEqual([]);
    expect(imageEnv.APP_ENV).toBe("production");
    expect(asString(apiEnv.APP_ENV, "APP_ENV")).toBe("production");
  });

  it("the api reads .env at the project root and .env.example exists to copy", () => {
    expect(asList(api.env_file, "env_file")).toEqual(["../.env"]);
    expect(read(".env.example")).toContain("ADMIN_API_KEYS");
  });

  it("ports match the config defaults and the listener variables", () => {
    const config = loadConfig({ APP_ENV: "development", PGLITE_DATA_DIR: "memory://" }, { devMaterial: material });
    const defaults = { GRPC_PORT: config.listen.grpcPort, BROWSER_PORT: config.listen.browserPort, SIDECAR_PORT: config.listen.sidecarPort };
    expect(defaults).toEqual({ GRPC_PORT: 8443, BROWSER_PORT: 8444, SIDECAR_PORT: 8080 });
    const published = asList(api.ports, "ports").map((p) => asString(p, "port"));
    const containerPorts = published.map((p) => Number(p.split(":").at(-1)));
    for (const [name, port] of Object.entries(defaults)) {
      expect(asString(apiEnv[name], name)).toBe(String(port));
      expect(containerPorts).toContain(port);
    }
    const exposed = runtime.filter((i) => i.op === "EXPOSE").flatMap((i) => i.args.split(/\s+/).map(Number));
    expect(exposed.sort()).toEqual(Object.values(defaults).sort());
    // The sidecar is cluster-internal: published on loopback only.
    expect(published.find((p) => p.endsWith(`:${defaults.SIDECAR_PORT}`))).toMatch(/^127\.0\.0\.1:/);
  });

  it("secret files are mounted under /run/secrets and match the *_FILE variables", () => {
    const topLevel = asMap(compose.secrets, "secrets");
    const mounted = asList(api.secrets, "services.api.secrets").map((s) => asString(s, "secret"));
    const fileVars = Object.entries(apiEnv).filter(([name]) => name.endsWith("_FILE"));
    expect(fileVars.map(([n]) => n).sort()).toEqual(
      ["ADMIN_JWT_PRIVATE_JWK_FILE", "ISSUER_PRIVATE_JWK_FILE", "TLS_CERT_FILE", "TLS_CLIENT_CA_FILE", "TLS_KEY_FILE"].sort(),
    );
    const used = fileVars.map(([name, value]) => {
      const path = asString(value, name);
      expect(path.startsWith(SECRET_MOUNT), `${name} must point into ${SECRET_MOUNT}`).toBe(true);
      const secret = path.slice(SECRET_MOUNT.length);
      expect(mounted, `${name}: secret ${secret} mounted in the api`).toContain(secret);
      expect(asString(asMap(topLevel[secret], `secrets.${secret}`).file, "file")).toMatch(/^\.\.\/secrets\//);
      return secret;
    });
    expect([...mounted].sort()).toEqual([...used].sort());
  });

  it("the api environment is a complete production configuration once .env gives the admin key", () => {
    const devFileOf: Record<string, string> = {
      ISSUER_PRIVATE_JWK_FILE: material.issuerJwkFile,
      ADMIN_JWT_PRIVATE_JWK_FILE: material.adminTokenJwkFile,
      TLS_CERT_FILE: material.serverCertFile,
      TLS_KEY_FILE: material.serverKeyFile,
      TLS_CLIENT_CA_FILE: material.caCertFile,
    };
    const env: Record<string, string> = { ADMIN_API_KEYS: "a-strong-admin-key-for-the-compose-check" };
    for (const [name, value] of Object.entries(apiEnv)) {
      let v = asString(value, name).replace(/\$\{[A-Z_]+(?::[?-][^}]*)?\}/g, "pw");
      const dev = devFileOf[name];
      if (dev !== undefined) {
        v = join(secretsDir, v.slice(SECRET_MOUNT.length));
        copyFileSync(dev, v);
      }
      env[name] = v;
    }
    const config = loadConfig(env, { baseDir: REPO_ROOT });
    expect(config.mode).toBe("production");
    expect(config.storage.databaseUrl).toBe("postgres://agent_identity:pw@postgres:5432/agent_identity");
    expect(config.storage.redisUrl).toBe("redis://redis:6379");
  });

  it("postgres and redis have health checks, redis runs noeviction, the api waits for both to be healthy", () => {
    const redis = asMap(services.redis, "redis");
    const command = asList(redis.command, "redis.command").join(" ");
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(asList(asMap(redis.healthcheck, "redis.healthcheck").test, "test").join(" ")).toContain("redis-cli ping");
    expect(asList(asMap(asMap(services.postgres, "postgres").healthcheck, "pg.healthcheck").test, "test").join(" ")).toContain("pg_isready");
    const depends = asMap(api.depends_on, "depends_on");
    for (const dep of ["postgres", "redis"]) {
      expect(asString(asMap(depends[dep], dep).condition, "condition")).toBe("service_healthy");
    }
    const build = asMap(api.build, "build");
    expect([asString(build.context, "context"), asString(build.dockerfile, "dockerfile")]).toEqual(["..", "infra/Dockerfile"]);
  });

  it("health checks hit the sidecar's /readyz (image and compose)", () => {
    const image = runtime.find((i) => i.op === "HEALTHCHECK");
    expect(image?.args).toMatch(/SIDECAR_PORT\|\|8080\)\+'\/readyz'/);
    const composeCheck = asList(asMap(api.healthcheck, "api.healthcheck").test, "test").map((t: YamlValue) => asString(t, "test")).join(" ");
    expect(composeCheck).toContain(`127.0.0.1:${asString(apiEnv.SIDECAR_PORT, "SIDECAR_PORT")}/readyz`);
  });

  it("the image runs what `npm run start:prod` runs, as a non-root user, with production dependencies only", () => {
    expect(docker.filter((i) => i.op === "FROM").length).toBeGreaterThanOrEqual(2);
    // start:prod = "[VAR=value ...] command args": the image sets the same VARs and runs the same command.
    const words = scripts["start:prod"]!.trim().split(/\s+/);
    const assignments = words.filter((w) => /^[A-Z_]+=/.test(w));
    const command = words.slice(assignments.length);
    const cmd = runtime.find((i) => i.op === "CMD");
    expect(JSON.parse(cmd!.args)).toEqual(command);
    const imageEnv = Object.assign({}, ...runtime.filter((i) => i.op === "ENV").map((i) => envPairs(i.args))) as Record<string, string>;
    for (const a of assignments) {
      const [name, value] = a.split("=") as [string, string];
      expect(imageEnv[name]).toBe(value);
    }
    const user = runtime.filter((i) => i.op === "USER").at(-1);
    expect(user?.args).toBeDefined();
    expect(["root", "0"]).not.toContain(user!.args.trim());
    expect(runtime.filter((i) => i.op === "RUN").map((i) => i.args).join("\n")).toMatch(/npm ci --omit=dev/);
    expect(docker.filter((i) => i.stage === 0 && i.op === "RUN").map((i) => i.args)).toContain("npm run build");
    // dist/src/main.js finds its migrations in dist/src/adapters/sql/migrations (migrationsDirectory()).
    expect(runtime.some((i) => i.op === "COPY" && /src\/adapters\/sql\/migrations \.\/dist\/src\/adapters\/sql\/migrations$/.test(i.args))).toBe(true);
  });

  it("the build context leaves out secrets and local state (.dockerignore at the context root: BuildKit and the legacy builder)", () => {
    expect(existsSync(join(REPO_ROOT, "infra", "Dockerfile.dockerignore")), "a Dockerfile-specific file would shadow the root one under BuildKit").toBe(false);
    const ignored = read(".dockerignore").split(/\r?\n/).filter((l) => l !== "" && !l.startsWith("#"));
    for (const entry of [".env", "**/.env", "certs", "secrets", "node_modules", "dist", "data"]) expect(ignored).toContain(entry);
  });

  it("the seed guide's steps need nothing exported: every ${VAR} comes from the root .env (infra/.env links to it)", () => {
    // Compose (v1.28+, v2) reads .env from the project directory, the folder of the first -f file.
    const projectDotEnv = join(REPO_ROOT, "infra", ".env");
    expect(lstatSync(projectDotEnv).isSymbolicLink()).toBe(true);
    expect(resolve(dirname(projectDotEnv), readlinkSync(projectDotEnv))).toBe(join(REPO_ROOT, ".env"));
    expect(spawnSync("git", ["check-ignore", "-q", "infra/.env"], { cwd: REPO_ROOT }).status, "infra/.env is tracked").toBe(1);
    const interpolated = [...read("infra/docker-compose.yml").matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);
    expect(interpolated).toContain("POSTGRES_PASSWORD");
    const documented = envExampleNames();
    expect(interpolated.filter((n) => !documented.has(n))).toEqual([]);
    expect(compose.name).toBe("agent-identity"); // Compose v2 syntax, as the header says
    expect(read("infra/docker-compose.yml")).toMatch(/Compose v2/);
  });
});
