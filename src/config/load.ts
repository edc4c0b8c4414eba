/** loadConfig: reads and validates every variable once, reports all problems together, returns a frozen Config. */
import { readConnectionLimits } from "./connection-limits.js";
import { usableCpus } from "./cpu-quota.js";
import { ConfigError } from "./errors.js";
import type { DevMaterial } from "./dev-material.js";
import type { Environment } from "./env-file.js";
import { EnvReader } from "./env-reader.js";
import { deepFreeze, FrozenMap } from "./freeze.js";
import {
  checkAudience,
  checkOrgSelector,
  defaultPeerRoles,
  isTrustDomain,
  parseIdentityLists,
  parsePeerRoles,
} from "./peer-rules.js";
import { projectRoot } from "./project-root.js";
import { readProofWindow } from "./proof-window.js";
import { isClusterUrl, parseRedisEndpoint, REDIS_URL_FORMS } from "./redis-url.js";
import { readAdmin, readIssuer, readTls, resolvePath, type SectionContext } from "./secrets-section.js";
import type { Config, Mode } from "./types.js";

export const DEFAULT_TRUST_DOMAIN = "agent-identity.local";
export const DEFAULT_DEV_DIR = "certs/dev";

export interface LoadConfigOptions {
  /** Relative paths in the environment resolve against this directory (default: the project root). */
  readonly baseDir?: string;
  /**
   * Development mode only: generated material (see prepareDevelopmentMaterial) used for every TLS file, key
   * and admin API key the environment leaves unset. Ignored in production.
   */
  readonly devMaterial?: DevMaterial;
  /** The production default of WORKERS (default: usableCpus(), the cgroup-aware CPU count). */
  readonly usableCpus?: () => number;
}

/** The most server processes WORKERS may ask for. */
const MAX_WORKERS = 256;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Builds the Config from `env` (pass the process environment merged with `.env`, see withDotEnv). Every
 * variable is checked; all problems are thrown together as one ConfigError, each naming its variable.
 */
export function loadConfig(env: Environment, options: LoadConfigOptions = {}): Config {
  const reader = new EnvReader(env);
  const mode: Mode = reader.oneOf("APP_ENV", ["development", "production"], "production");
  const baseDir = options.baseDir ?? projectRoot();
  const devMaterial = mode === "development" ? options.devMaterial : undefined;
  const ctx: SectionContext = { reader, mode, baseDir, devMaterial };

  const listen = readListen(reader, mode);
  const peers = readPeers(reader);
  const { deprecations, ...proofWindow } = readProofWindow(reader);
  const tls = readTls(ctx);
  const admin = readAdmin(ctx);
  const config: Config = {
    mode,
    logLevel: reader.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
    listen,
    tls,
    peers,
    admin,
    issuer: readIssuer(ctx, peers.trustDomain),
    storage: readStorage(ctx),
    workers: readWorkers(reader, mode, options.usableCpus ?? usableCpus),
    verify: {
      ...proofWindow,
      rateLimitPerMinute: reader.integer("RATE_LIMIT_PER_MINUTE", 600, { min: 1, max: 1_000_000 }),
      agentRateLimitPerMinute: reader.integer("AGENT_RATE_LIMIT_PER_MINUTE", 600, { min: 1, max: 1_000_000 }),
      sessionTtlSeconds: reader.integer("SESSION_TTL_SECONDS", 600, { min: 10, max: 86400 }),
      proposalTtlSeconds: reader.integer("HANDSHAKE_PROPOSAL_TTL_SECONDS", 120, { min: 10, max: 3600 }),
      agentStateMaxStalenessSeconds: reader.integer("AGENT_STATE_MAX_STALENESS_SECONDS", 5, { min: 1, max: 300 }),
    },
    api: {
      rateLimitPerMinute: reader.integer("API_RATE_LIMIT_PER_MINUTE", 600, { min: 1, max: 1_000_000 }),
    },
    health: {
      signerProbeIntervalSeconds: reader.integer("SIGNER_PROBE_INTERVAL_SECONDS", 30, { min: 1, max: 3600 }),
      dependencyProbeIntervalSeconds: reader.integer("DEPENDENCY_PROBE_INTERVAL_SECONDS", 5, { min: 1, max: 300 }),
    },
    browser: readBrowser(reader, mode, baseDir, admin.jwtMaxTtlSeconds),
    limits: readConnectionLimits(reader),
    serving: { grpcFastPath: reader.boolean("GRPC_FAST_PATH", true) },
    devDir: devMaterial?.dir ?? resolvePath(baseDir, reader.string("DEV_DIR") ?? DEFAULT_DEV_DIR),
    deprecations,
  };
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return deepFreeze(config);
}

function readListen(r: EnvReader, mode: Mode): Config["listen"] {
  const listen = {
    host: r.string("HOST") ?? (mode === "development" ? "127.0.0.1" : "0.0.0.0"),
    grpcPort: r.port("GRPC_PORT", 8443),
    browserPort: r.port("BROWSER_PORT", 8444),
    sidecarPort: r.port("SIDECAR_PORT", 8080),
  };
  const named: [string, number][] = [
    ["GRPC_PORT", listen.grpcPort],
    ["BROWSER_PORT", listen.browserPort],
    ["SIDECAR_PORT", listen.sidecarPort],
  ];
  named.forEach(([name, port], i) => {
    const clash = named.slice(0, i).find(([, other]) => other === port && port !== 0);
    if (clash !== undefined) r.problem(name, `port ${port} is already used by ${clash[0]}`);
  });
  return listen;
}

/**
 * WORKERS: the production default is the CPUs this process may use, development's 1. Several workers need the
 * shared stores: the embedded PGlite, the in-memory replay gate and invalidation bus belong to one process.
 */
function readWorkers(r: EnvReader, mode: Mode, cpus: () => number): number {
  const workers = r.integer("WORKERS", mode === "production" ? Math.min(MAX_WORKERS, cpus()) : 1, { min: 1, max: MAX_WORKERS });
  // Production already requires both URLs (reported under their own names).
  if (workers > 1 && mode === "development" && (!r.isSet("DATABASE_URL") || !r.isSet("REDIS_URL"))) {
    r.problem("WORKERS", "more than 1 worker needs DATABASE_URL and REDIS_URL (PGlite and the in-memory stores belong to one process)");
  }
  return workers;
}

function readPeers(r: EnvReader): Config["peers"] {
  let trustDomain = r.string("SPIFFE_TRUST_DOMAIN") ?? DEFAULT_TRUST_DOMAIN;
  if (!isTrustDomain(trustDomain)) {
    r.problem("SPIFFE_TRUST_DOMAIN", "must be a trust domain name: lower-case letters, digits, '.', '-', '_'");
    trustDomain = DEFAULT_TRUST_DOMAIN;
  }
  const allowCnIdentity = r.boolean("ALLOW_CN_IDENTITY", false);
  const roleRules = parsePeerRoles(r, "PEER_ROLES", r.string("PEER_ROLES") ?? defaultPeerRoles(trustDomain), trustDomain);
  if (!allowCnIdentity && roleRules.some((rule) => rule.prefix.startsWith("cn:"))) {
    r.problem("PEER_ROLES", "has cn: prefixes but ALLOW_CN_IDENTITY is not true");
  }
  return {
    trustDomain,
    roleRules,
    allowCnIdentity,
    relyingPartyAudiences: new FrozenMap(parseIdentityLists(r, "RELYING_PARTY_AUDIENCES", trustDomain, checkAudience)),
    relyingPartyOrgs: new FrozenMap(parseIdentityLists(r, "RELYING_PARTY_ORGS", trustDomain, checkOrgSelector)),
  };
}

/** REDIS_URL: one server (redis://, rediss://) or a cluster's seed nodes (redis+cluster://h1:p1,h2:p2). */
function readRedisUrl(r: EnvReader): string | undefined {
  const value = r.string("REDIS_URL");
  if (value === undefined || !isClusterUrl(value)) return r.url("REDIS_URL", ["redis:", "rediss:"]);
  try {
    parseRedisEndpoint(value);
    return value;
  } catch (e) {
    r.problem("REDIS_URL", `${e instanceof Error ? e.message : "is malformed"} (forms: ${REDIS_URL_FORMS})`);
    return undefined;
  }
}

/** URL parameters pg sends at connect, which PgBouncer refuses ("unsupported startup parameter") or silently drops. */
const STARTUP_ONLY_URL_PARAMETERS = ["options", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"];

function checkPoolerUrl(r: EnvReader, databaseUrl: string): void {
  const sent = STARTUP_ONLY_URL_PARAMETERS.filter((p) => new URL(databaseUrl).searchParams.has(p));
  if (sent.length > 0) {
    r.problem(
      "DATABASE_URL",
      `has ${sent.join(", ")}, sent at connect, which a transaction pooler refuses or drops (DATABASE_POOL_MODE=transaction): ` +
        "set them with ALTER ROLE ... SET instead",
    );
  }
}

function readStorage(ctx: SectionContext): Config["storage"] {
  const r = ctx.reader;
  const databaseUrl = r.url("DATABASE_URL", ["postgres:", "postgresql:"]);
  const redisUrl = readRedisUrl(r);
  if (ctx.mode === "production" && !r.isSet("DATABASE_URL")) {
    r.problem("DATABASE_URL", "is required in production (embedded PGlite is for development only)");
  }
  if (ctx.mode === "production" && !r.isSet("REDIS_URL")) {
    r.problem("REDIS_URL", "is required in production (in-memory stores are for development only)");
  }
  const poolMode = r.oneOf("DATABASE_POOL_MODE", ["direct", "transaction"] as const, "direct");
  if (poolMode === "transaction" && databaseUrl !== undefined) checkPoolerUrl(r, databaseUrl);
  const pglite = r.string("PGLITE_DATA_DIR") ?? "./data/pglite";
  const redisKeyPrefix = r.string("REDIS_KEY_PREFIX") ?? "aid:";
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(redisKeyPrefix)) {
    r.problem("REDIS_KEY_PREFIX", "must be 1..64 characters of letters, digits, ':', '.', '_', '-'");
  }
  return {
    databaseUrl,
    statementTimeoutMs: r.integer("DB_STATEMENT_TIMEOUT_MS", 5000, { min: 100, max: 600_000 }),
    poolMode,
    pgliteDataDir: pglite.startsWith("memory://") ? pglite : resolvePath(ctx.baseDir, pglite),
    redisUrl,
    redisKeyPrefix,
  };
}

/** BROWSER_ADMIN (default on in development, off in production), its token lifetime, the console directory. */
function readBrowser(r: EnvReader, mode: Mode, baseDir: string, maxTtl: number): Config["browser"] {
  return {
    corsAllowedOrigins: readOrigins(r),
    admin: r.boolean("BROWSER_ADMIN", mode === "development"),
    adminJwtTtlSeconds: r.integer("BROWSER_ADMIN_JWT_TTL_SECONDS", Math.min(600, maxTtl), { min: 60, max: maxTtl }),
    consoleDir: resolvePath(baseDir, r.string("CONSOLE_DIR") ?? "console/dist"),
  };
}

function readOrigins(r: EnvReader): string[] {
  const origins = r.list("CORS_ALLOWED_ORIGINS");
  for (const origin of origins) {
    let ok = false;
    try {
      const url = new URL(origin);
      ok = (url.protocol === "https:" || url.protocol === "http:") && url.origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) r.problem("CORS_ALLOWED_ORIGINS", `"${origin}" must be an origin such as https://console.example.com`);
  }
  return origins;
}
