/** loadConfig: production refusals (each naming its variable, all at once), defaults, parsers, freezing, .env. */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareDevelopmentMaterial, type DevMaterial } from "../../src/config/dev-material.js";
import { readDotEnv, withDotEnv } from "../../src/config/env-file.js";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";
import { productionEnvironment, STRONG_ADMIN_KEY } from "../support/production-env.js";
import { loadStartupConfig } from "../../src/config/startup.js";
import type { Config } from "../../src/config/types.js";
import { DomainError } from "../../src/domain/errors.js";
import { newId } from "../../src/domain/ids.js";
import { describeStartupFailure } from "../../src/startup-failure.js";

const NEXT_KEY = "next-admin-key-0123456789abcdefgh";

let root: string;
let material: DevMaterial;
let edJwkFile: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "aid-config-"));
  material = await prepareDevelopmentMaterial(join(root, "material"), () => undefined);
  edJwkFile = join(root, "ed25519.jwk.json");
  writeFileSync(edJwkFile, JSON.stringify(await exportJWK((await generateKeyPair("EdDSA", { extractable: true })).privateKey)));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A complete, valid production environment. */
function production(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return productionEnvironment<string | undefined>(material, overrides);
}

function problemsOf(env: Record<string, string | undefined>, options: Parameters<typeof loadConfig>[1] = { baseDir: root }) {
  let error: unknown;
  try {
    loadConfig(env, options);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems;
}

/** Asserts the environment is refused with exactly one problem, on `variable`, whose message matches. */
function refusedOn(env: Record<string, string | undefined>, variable: string, message: RegExp): void {
  const problems = problemsOf(env);
  expect(problems).toEqual([{ variable, message: expect.stringMatching(message) }]);
}

const sha256 = (s: string) => new Uint8Array(createHash("sha256").update(s).digest());

describe("production", () => {
  it("loads a complete environment with production defaults", () => {
    const config = loadConfig(production(), { baseDir: root });
    expect(config.mode).toBe("production");
    expect(config.listen).toEqual({ host: "0.0.0.0", grpcPort: 8443, browserPort: 8444, sidecarPort: 8080 });
    expect(config.admin.apiKeyHashes).toEqual([sha256(STRONG_ADMIN_KEY)]);
    expect(config.admin.jwtMaxTtlSeconds).toBe(900);
    expect(config.issuer).toMatchObject({ issuerUrl: "https://agent-identity.local", privateJwkFile: material.issuerJwkFile, kms: undefined });
    expect(config.storage).toEqual({
      databaseUrl: "postgres://app@db:5432/aid",
      statementTimeoutMs: 5000,
      poolMode: "direct",
      redisUrl: "redis://redis:6379",
      redisKeyPrefix: "aid:",
      pgliteDataDir: join(root, "data", "pglite"),
    });
    expect(config.devDir).toBe(join(root, "certs", "dev"));
  });

  it("reads the policy knobs and refuses each out of its range", () => {
    const config = loadConfig(
      production({
        HANDSHAKE_PROPOSAL_TTL_SECONDS: "60",
        RENEWALS_PER_MINUTE: "3",
        SIGNER_PROBE_INTERVAL_SECONDS: "45",
        DEPENDENCY_PROBE_INTERVAL_SECONDS: "2",
      }),
      { baseDir: root },
    );
    expect(config.verify.proposalTtlSeconds).toBe(60);
    expect(config.issuer.renewalsPerMinute).toBe(3);
    expect(config.health).toEqual({ signerProbeIntervalSeconds: 45, dependencyProbeIntervalSeconds: 2 });
    refusedOn(production({ HANDSHAKE_PROPOSAL_TTL_SECONDS: "5" }), "HANDSHAKE_PROPOSAL_TTL_SECONDS", /10/);
    refusedOn(production({ RENEWALS_PER_MINUTE: "0" }), "RENEWALS_PER_MINUTE", /1/);
    refusedOn(production({ SIGNER_PROBE_INTERVAL_SECONDS: "0" }), "SIGNER_PROBE_INTERVAL_SECONDS", /1/);
    refusedOn(production({ DEPENDENCY_PROBE_INTERVAL_SECONDS: "301" }), "DEPENDENCY_PROBE_INTERVAL_SECONDS", /300/);
  });

  it("reports every missing piece at once, each naming its variable", () => {
    const problems = problemsOf({});
    expect(problems.map((p) => p.variable)).toEqual([
      "TLS_CERT_FILE",
      "TLS_KEY_FILE",
      "TLS_CLIENT_CA_FILE",
      "ADMIN_API_KEYS",
      "ADMIN_JWT_PRIVATE_JWK_FILE",
      "ISSUER_PRIVATE_JWK_FILE",
      "DATABASE_URL",
      "REDIS_URL",
    ]);
    for (const p of problems) expect(p.message).toMatch(/required in production/);
    let message = "";
    try {
      loadConfig({}, { baseDir: root });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const p of problems) expect(message).toContain(`${p.variable}: `);
  });

  it("refuses a missing admin key", () => refusedOn(production({ ADMIN_API_KEYS: undefined }), "ADMIN_API_KEYS", /required/));
  it("refuses a short admin key", () => refusedOn(production({ ADMIN_API_KEYS: "short-key-15chr" }), "ADMIN_API_KEYS", /shorter than 16/));
  it("refuses the placeholder admin key", () =>
    refusedOn(production({ ADMIN_API_KEYS: "replace-with-strong-admin-api-key" }), "ADMIN_API_KEYS", /placeholder/));
  it("refuses a weak second key, naming it", () =>
    refusedOn(production({ ADMIN_API_KEYS: `${STRONG_ADMIN_KEY},tiny` }), "ADMIN_API_KEYS", /key 2 is shorter/));
  it("refuses more than two keys", () =>
    refusedOn(production({ ADMIN_API_KEYS: `${STRONG_ADMIN_KEY},${NEXT_KEY},third-key-0123456789` }), "ADMIN_API_KEYS", /at most two/));
  it("refuses the placeholder given as ADMIN_API_KEY", () =>
    refusedOn(
      production({ ADMIN_API_KEYS: undefined, ADMIN_API_KEY: "replace-with-strong-admin-api-key" }),
      "ADMIN_API_KEY",
      /placeholder/,
    ));
  it("refuses ADMIN_API_KEYS and ADMIN_API_KEY together", () =>
    refusedOn(production({ ADMIN_API_KEY: NEXT_KEY }), "ADMIN_API_KEYS", /not both/));
  it("refuses a missing issuer key", () =>
    refusedOn(production({ ISSUER_PRIVATE_JWK_FILE: undefined }), "ISSUER_PRIVATE_JWK_FILE", /KMS_KEY_ARN/));
  it("refuses KMS_KEY_ARN without AWS_REGION", () =>
    refusedOn(
      production({ ISSUER_PRIVATE_JWK_FILE: undefined, KMS_KEY_ARN: "arn:aws:kms:eu-west-1:123456789012:key/abcd-1234" }),
      "AWS_REGION",
      /required when KMS_KEY_ARN/,
    ));
  it("refuses an issuer file and KMS together", () =>
    refusedOn(
      production({ KMS_KEY_ARN: "arn:aws:kms:eu-west-1:123456789012:key/abcd-1234", AWS_REGION: "eu-west-1" }),
      "ISSUER_PRIVATE_JWK_FILE",
      /not both/,
    ));
  it("refuses a missing admin-token key", () =>
    refusedOn(production({ ADMIN_JWT_PRIVATE_JWK_FILE: undefined }), "ADMIN_JWT_PRIVATE_JWK_FILE", /required/));
  it("refuses an admin-token key that is not P-256", () =>
    refusedOn(production({ ADMIN_JWT_PRIVATE_JWK_FILE: edJwkFile }), "ADMIN_JWT_PRIVATE_JWK_FILE", /P-256/));
  it("refuses a public-only or non-JSON key file", () => {
    const publicOnly = join(root, "public.jwk.json");
    writeFileSync(publicOnly, JSON.stringify({ kty: "EC", crv: "P-256", x: "AA", y: "AA" }));
    refusedOn(production({ ISSUER_PRIVATE_JWK_FILE: publicOnly }), "ISSUER_PRIVATE_JWK_FILE", /not a private key/);
    refusedOn(production({ ISSUER_PRIVATE_JWK_FILE: material.caCertFile }), "ISSUER_PRIVATE_JWK_FILE", /not valid JSON/);
  });
  it("refuses missing TLS material", () => {
    refusedOn(production({ TLS_CERT_FILE: undefined }), "TLS_CERT_FILE", /required/);
    refusedOn(production({ TLS_KEY_FILE: join(root, "nope.key") }), "TLS_KEY_FILE", /does not exist/);
    refusedOn(production({ TLS_CLIENT_CA_FILE: root }), "TLS_CLIENT_CA_FILE", /not a regular file/);
    refusedOn(production({ TLS_CERT_FILE: material.serverKeyFile }), "TLS_CERT_FILE", /no PEM block/);
  });
  it("refuses a missing or wrong DATABASE_URL", () => {
    refusedOn(production({ DATABASE_URL: undefined }), "DATABASE_URL", /required in production/);
    refusedOn(production({ DATABASE_URL: "mysql://db/aid" }), "DATABASE_URL", /postgres/);
  });
  it("refuses a missing or wrong REDIS_URL", () => {
    refusedOn(production({ REDIS_URL: "" }), "REDIS_URL", /required in production/);
    refusedOn(production({ REDIS_URL: "not a url" }), "REDIS_URL", /must be a URL/);
    refusedOn(production({ REDIS_URL: "redis+cluster://a:7000,b" }), "REDIS_URL", /"b" is not host:port.*redis\+cluster:\/\/host1:port1/);
    refusedOn(production({ REDIS_URL: "redis+cluster://a:7000/0" }), "REDIS_URL", /no database number/);
    refusedOn(production({ REDIS_URL: "redis+cluster:a:7000" }), "REDIS_URL", /must be redis\+cluster:\/\/host1:port1/);
    const problems = problemsOf(production({ REDIS_URL: "rediss+cluster://svc:s3cr3t-pw@a:7000,b:99999" }));
    expect(problems).toEqual([{ variable: "REDIS_URL", message: expect.stringMatching(/b:99999/) }]);
    expect(problems[0]?.message).not.toContain("s3cr3t-pw");
  });
  it("accepts a Redis Cluster as seed nodes in REDIS_URL", () => {
    const url = "redis+cluster://redis-0:6379,redis-1:6379,10.0.0.7:7001";
    expect(loadConfig(production({ REDIS_URL: url }), { baseDir: root }).storage.redisUrl).toBe(url);
    const withPassword = loadConfig(production({ REDIS_URL: "redis+cluster://svc:s3cr3t-pw@redis-0:6379,redis-1:6379" }), { baseDir: root });
    const down = new DomainError("unavailable", "redis.unavailable", "redis", { cause: new Error("connect ECONNREFUSED") });
    const line = describeStartupFailure(down, withPassword);
    expect(line).toContain("cannot reach Redis at cluster seeds redis-0:6379,redis-1:6379 as svc");
    expect(line).not.toContain("s3cr3t-pw");
  });
  it("refuses bad numbers, ports and URLs", () => {
    refusedOn(production({ GRPC_PORT: "84a3" }), "GRPC_PORT", /whole number/);
    refusedOn(production({ SIDECAR_PORT: "70000" }), "SIDECAR_PORT", /between 0 and 65535/);
    refusedOn(production({ BROWSER_PORT: "8443" }), "BROWSER_PORT", /already used by GRPC_PORT/);
    refusedOn(production({ ADMIN_JWT_MAX_TTL_SECONDS: "901" }), "ADMIN_JWT_MAX_TTL_SECONDS", /between 60 and 900/);
    refusedOn(production({ CREDENTIAL_TTL_SECONDS: "-5" }), "CREDENTIAL_TTL_SECONDS", /whole number/);
    refusedOn(production({ ISSUER_URL: "http://issuer.example" }), "ISSUER_URL", /https/);
    refusedOn(production({ APP_ENV: "staging" }), "APP_ENV", /development, production/);
    refusedOn(production({ LOG_LEVEL: "loud" }), "LOG_LEVEL", /one of/);
    refusedOn(production({ CORS_ALLOWED_ORIGINS: "https://a.example,https://b.example/path" }), "CORS_ALLOWED_ORIGINS", /b\.example\/path/);
    refusedOn(production({ REDIS_KEY_PREFIX: "has space" }), "REDIS_KEY_PREFIX", /letters/);
  });
  it("never echoes a secret value in a problem", () => {
    const secret = "tiny-secret";
    const problems = problemsOf(production({ ADMIN_API_KEYS: secret, GRPC_PORT: "x" }));
    expect(problems).toHaveLength(2);
    for (const p of problems) expect(p.message).not.toContain(secret);
  });

  it("accepts two keys (rotation), ADMIN_API_KEY alone, and KMS with a region", () => {
    expect(loadConfig(production({ ADMIN_API_KEYS: ` ${STRONG_ADMIN_KEY} , ${NEXT_KEY} ` }), { baseDir: root }).admin.apiKeyHashes).toEqual([
      sha256(STRONG_ADMIN_KEY),
      sha256(NEXT_KEY),
    ]);
    expect(
      loadConfig(production({ ADMIN_API_KEYS: undefined, ADMIN_API_KEY: NEXT_KEY }), { baseDir: root }).admin.apiKeyHashes,
    ).toEqual([sha256(NEXT_KEY)]);
    const kms = loadConfig(
      production({
        ISSUER_PRIVATE_JWK_FILE: undefined,
        KMS_KEY_ARN: "arn:aws:kms:eu-west-1:123456789012:key/abcd-1234",
        AWS_REGION: "eu-west-1",
        KMS_ENDPOINT: "http://127.0.0.1:4566",
      }),
      { baseDir: root },
    );
    expect(kms.issuer.privateJwkFile).toBeUndefined();
    expect(kms.issuer.kms).toEqual({
      keyArn: "arn:aws:kms:eu-west-1:123456789012:key/abcd-1234",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:4566",
    });
  });

  it("ignores development material in production", () => {
    expect(problemsOf({ APP_ENV: "production" }, { baseDir: root, devMaterial: material }).map((p) => p.variable)).toContain(
      "TLS_CERT_FILE",
    );
  });
});

describe("development", () => {
  it("fills everything from the generated material with development defaults", () => {
    const config = loadConfig({ APP_ENV: "development" }, { baseDir: root, devMaterial: material });
    expect(config.mode).toBe("development");
    expect(config.listen).toEqual({ host: "127.0.0.1", grpcPort: 8443, browserPort: 8444, sidecarPort: 8080 });
    expect(config.tls).toEqual({ certFile: material.serverCertFile, keyFile: material.serverKeyFile, clientCaFile: material.caCertFile });
    expect(config.peers.trustDomain).toBe("agent-identity.local");
    expect(config.peers.roleRules).toEqual([
      { prefix: "spiffe://agent-identity.local/admin/", role: "admin" },
      { prefix: "spiffe://agent-identity.local/rp/", role: "relying-party" },
      { prefix: "spiffe://agent-identity.local/agent/", role: "agent" },
    ]);
    expect(config.peers.allowCnIdentity).toBe(false);
    expect(config.admin).toEqual({
      apiKeyHashes: [sha256(readFileSync(material.adminApiKeyFile, "utf8").trim())],
      jwtPrivateJwkFile: material.adminTokenJwkFile,
      jwtMaxTtlSeconds: 900,
    });
    expect(config.issuer).toEqual({
      issuerUrl: "https://agent-identity.local",
      privateJwkFile: material.issuerJwkFile,
      kms: undefined,
      credentialTtlSeconds: 3600,
      auditCheckpointIntervalSeconds: 300,
      renewalsPerMinute: 10,
    });
    expect(config.storage).toEqual({
      databaseUrl: undefined,
      statementTimeoutMs: 5000,
      poolMode: "direct",
      redisUrl: undefined,
      pgliteDataDir: join(root, "data", "pglite"),
      redisKeyPrefix: "aid:",
    });
    expect(config.verify).toEqual({
      proofMaxAgeSeconds: 60,
      proofFutureSkewSeconds: 5,
      rateLimitPerMinute: 600,
      agentRateLimitPerMinute: 600,
      sessionTtlSeconds: 600,
      proposalTtlSeconds: 120,
      agentStateMaxStalenessSeconds: 5,
    });
    expect(config.health).toEqual({ signerProbeIntervalSeconds: 30, dependencyProbeIntervalSeconds: 5 });
    expect(config.browser.corsAllowedOrigins).toEqual([]);
    expect(config.devDir).toBe(material.dir);
  });

  it("lets the environment win over the material, and accepts short keys", () => {
    const config = loadConfig(
      { APP_ENV: "development", ADMIN_API_KEYS: "dev", TLS_CERT_FILE: material.clients.admin.certFile, PGLITE_DATA_DIR: "memory://" },
      { baseDir: root, devMaterial: material },
    );
    expect(config.admin.apiKeyHashes).toEqual([sha256("dev")]);
    expect(config.tls.certFile).toBe(material.clients.admin.certFile);
    expect(config.storage.pgliteDataDir).toBe("memory://");
  });

  it("without material, names what is missing", () => {
    expect(problemsOf({ APP_ENV: "development" }).map((p) => [p.variable, p.message])).toEqual([
      ["TLS_CERT_FILE", "is required"],
      ["TLS_KEY_FILE", "is required"],
      ["TLS_CLIENT_CA_FILE", "is required"],
      ["ADMIN_API_KEYS", expect.stringMatching(/^is required/)],
      ["ADMIN_JWT_PRIVATE_JWK_FILE", "is required"],
      ["ISSUER_PRIVATE_JWK_FILE", expect.stringMatching(/^is required/)],
    ]);
  });
});

describe("peers", () => {
  const dev = (env: Record<string, string>) => loadConfig({ APP_ENV: "development", ...env }, { baseDir: root, devMaterial: material });
  const devProblems = (env: Record<string, string>) =>
    problemsOf({ APP_ENV: "development", ...env }, { baseDir: root, devMaterial: material });

  it("parses PEER_ROLES, including CN prefixes when CN identities are allowed", () => {
    const config = dev({
      PEER_ROLES: " spiffe://agent-identity.local/ops/=admin , spiffe://agent-identity.local/ops/billing=relying-party,cn:legacy-=agent",
      ALLOW_CN_IDENTITY: "true",
    });
    expect(config.peers.allowCnIdentity).toBe(true);
    expect(config.peers.roleRules).toEqual([
      { prefix: "spiffe://agent-identity.local/ops/", role: "admin" },
      { prefix: "spiffe://agent-identity.local/ops/billing", role: "relying-party" },
      { prefix: "cn:legacy-", role: "agent" },
    ]);
  });

  it("derives the default PEER_ROLES from the trust domain", () => {
    const config = dev({ SPIFFE_TRUST_DOMAIN: "example.org" });
    expect(config.peers.roleRules.map((r) => r.prefix)).toEqual([
      "spiffe://example.org/admin/",
      "spiffe://example.org/rp/",
      "spiffe://example.org/agent/",
    ]);
  });

  it("refuses malformed PEER_ROLES entries, each named", () => {
    const problems = devProblems({
      PEER_ROLES: "spiffe://agent-identity.local/a/=root,spiffe://other.org/x/=admin,justaprefix,cn:x=agent",
    });
    expect(problems.map((p) => p.variable)).toEqual(["PEER_ROLES", "PEER_ROLES", "PEER_ROLES", "PEER_ROLES"]);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/role must be one of admin, relying-party, agent/),
      expect.stringMatching(/must start with spiffe:\/\/agent-identity.local\//),
      expect.stringMatching(/must be prefix=role/),
      expect.stringMatching(/ALLOW_CN_IDENTITY/),
    ]);
    expect(devProblems({ SPIFFE_TRUST_DOMAIN: "Bad Domain" }).map((p) => p.variable)).toEqual(["SPIFFE_TRUST_DOMAIN"]);
    expect(devProblems({ ALLOW_CN_IDENTITY: "maybe" }).map((p) => p.variable)).toEqual(["ALLOW_CN_IDENTITY"]);
  });

  it("parses RELYING_PARTY_AUDIENCES and RELYING_PARTY_ORGS into read-only maps", () => {
    const org = newId("org");
    const config = dev({
      RELYING_PARTY_AUDIENCES:
        "spiffe://agent-identity.local/rp/shop=https://shop.example|payments; spiffe://agent-identity.local/rp/bank=bank",
      RELYING_PARTY_ORGS: `spiffe://agent-identity.local/rp/shop=${org};spiffe://agent-identity.local/rp/bank=*`,
    });
    expect([...config.peers.relyingPartyAudiences]).toEqual([
      ["spiffe://agent-identity.local/rp/shop", ["https://shop.example", "payments"]],
      ["spiffe://agent-identity.local/rp/bank", ["bank"]],
    ]);
    expect(config.peers.relyingPartyOrgs.get("spiffe://agent-identity.local/rp/shop")).toEqual([org]);
    expect(config.peers.relyingPartyOrgs.get("spiffe://agent-identity.local/rp/bank")).toEqual(["*"]);
    expect((config.peers.relyingPartyOrgs as unknown as Partial<Map<string, string[]>>).set).toBeUndefined();
  });

  it("refuses malformed relying-party lists", () => {
    const problems = devProblems({
      RELYING_PARTY_AUDIENCES: "spiffe://agent-identity.local/rp/a=x;spiffe://agent-identity.local/rp/a=y;noequals;spiffe://evil.org/rp=z",
      RELYING_PARTY_ORGS: "spiffe://agent-identity.local/rp/a=acme",
    });
    expect(problems.map((p) => [p.variable, p.message])).toEqual([
      ["RELYING_PARTY_AUDIENCES", expect.stringMatching(/appears twice/)],
      ["RELYING_PARTY_AUDIENCES", expect.stringMatching(/must be identity=item/)],
      ["RELYING_PARTY_AUDIENCES", expect.stringMatching(/must be spiffe:\/\/agent-identity.local/)],
      ["RELYING_PARTY_ORGS", expect.stringMatching(/org id/)],
    ]);
  });
});

describe("the loaded config", () => {
  it("is deep-frozen", () => {
    const config: Config = loadConfig(production({ CORS_ALLOWED_ORIGINS: "https://console.example" }), { baseDir: root });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listen)).toBe(true);
    expect(Object.isFrozen(config.peers.roleRules)).toBe(true);
    expect(Object.isFrozen(config.peers.roleRules[0])).toBe(true);
    expect(Object.isFrozen(config.browser.corsAllowedOrigins)).toBe(true);
    expect(Object.isFrozen(config.admin.apiKeyHashes)).toBe(true);
    expect(() => {
      (config.listen as { grpcPort: number }).grpcPort = 1;
    }).toThrow(TypeError);
    expect(() => (config.browser.corsAllowedOrigins as string[]).push("https://evil.example")).toThrow(TypeError);
  });
});

describe(".env", () => {
  it("readDotEnv parses node dotenv syntax and treats a missing file as empty", () => {
    const file = join(root, "sample.env");
    writeFileSync(file, '# comment\nGRPC_PORT=9443\nLOG_LEVEL="debug"\nEMPTY=\nQUOTED=\'a b\' \n');
    expect(readDotEnv(file)).toEqual({ GRPC_PORT: "9443", LOG_LEVEL: "debug", EMPTY: "", QUOTED: "a b" });
    expect(readDotEnv(join(root, "absent.env"))).toEqual({});
  });

  it("never overrides the real environment", () => {
    expect(withDotEnv({ A: "real", C: undefined }, { A: "file", B: "file", C: "file" })).toEqual({ A: "real", B: "file", C: "file" });
  });

  it("starts a fresh checkout in development with no environment at all (material generated, .env read)", async () => {
    const project = join(root, "fresh-clone");
    mkdirSync(project);
    writeFileSync(join(project, ".env"), "APP_ENV=development\nGRPC_PORT=9443\nSIDECAR_PORT=9080\n");
    const log: string[] = [];
    const config = await loadStartupConfig({ env: { SIDECAR_PORT: "9081" }, baseDir: project, log: (l) => log.push(l) });
    expect(config.mode).toBe("development");
    expect(config.listen.grpcPort).toBe(9443);
    expect(config.listen.sidecarPort).toBe(9081);
    expect(config.devDir).toBe(join(project, "certs", "dev"));
    expect(config.tls.certFile).toBe(join(project, "certs", "dev", "server.crt"));
    expect(log.length).toBeGreaterThan(0);
    const again: string[] = [];
    await loadStartupConfig({ env: { APP_ENV: "development" }, baseDir: project, log: (l) => again.push(l) });
    expect(again).toEqual([]);
  });

  it("production from .env generates nothing and reports what is missing", async () => {
    const project = join(root, "prod-clone");
    mkdirSync(project);
    writeFileSync(join(project, ".env"), "ADMIN_API_KEYS=replace-with-strong-admin-api-key\n");
    const error = await loadStartupConfig({ env: {}, baseDir: project }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.find((p) => p.variable === "ADMIN_API_KEYS")?.message).toMatch(/placeholder/);
    expect(problems.map((p) => p.variable)).toContain("DATABASE_URL");
    expect(() => readFileSync(join(project, "certs", "dev", "ca.crt"))).toThrow();
  });
});
