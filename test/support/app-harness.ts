/** Starts the whole service (buildApp) on port 0 for end-to-end tests, with mTLS clients for each dev identity. */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { buildApp, type App } from "../../src/app.js";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import type { Clock } from "../../src/domain/clock.js";
import type { DatabaseTarget, RedisTarget, TestDatabase } from "./databases.js";
import { bearer, testEnvironment, testMaterial, type AdminClients, type Identity, type ServiceUnderTest } from "./service-under-test.js";

export { testMaterial, type Identity };

export interface TestAppOptions {
  /** Which database the app uses: a fresh test database of this target (PGlite in memory, or real Postgres). */
  readonly database: DatabaseTarget;
  /** Redis for nonces, limits and invalidations; undefined: the in-memory stores. */
  readonly redis?: RedisTarget;
  /** Extra environment (e.g. RATE_LIMIT_PER_MINUTE). */
  readonly env?: Readonly<Record<string, string>>;
  /** Share another app's database (second replica) instead of opening a new one. */
  readonly shareDatabaseOf?: TestApp;
  /** Share development material (certificates, keys) with another app. */
  readonly material?: DevMaterial;
  readonly clock?: Clock;
}

export interface TestApp extends ServiceUnderTest {
  readonly app: App;
  readonly database: TestDatabase | undefined;
  readonly databaseUrl: string | undefined;
  /** Base URL of the mTLS port. */
  readonly baseUrl: string;
  transport(identity: Identity, interceptors?: Interceptor[]): Transport;
  /** Stops the app, disposes the database (unless shared) and removes temporary files. */
  close(): Promise<void>;
}

const silent = pino({ level: "silent" });

/** The app's database: a fresh Postgres database of the target (unmigrated: the app migrates it), another app's, or PGlite. */
async function databaseFor(options: TestAppOptions): Promise<{ database: TestDatabase | undefined; databaseUrl: string | undefined }> {
  if (options.shareDatabaseOf !== undefined) {
    const databaseUrl = options.shareDatabaseOf.databaseUrl;
    if (databaseUrl === undefined) throw new Error("sharing a database between two apps needs real Postgres");
    return { database: undefined, databaseUrl };
  }
  if (options.database.name === "pglite") return { database: undefined, databaseUrl: undefined };
  const database = await options.database.open({ migrate: false });
  return { database, databaseUrl: database.url };
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const material = options.material ?? options.shareDatabaseOf?.material ?? (await testMaterial());
  const { database, databaseUrl } = await databaseFor(options);
  // A database behind PgBouncer (the "pgbouncer" target) needs DATABASE_POOL_MODE=transaction, its sharers too.
  const poolMode = database?.poolMode ?? options.shareDatabaseOf?.config.storage.poolMode ?? "direct";
  const env = testEnvironment(material, {
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
    ...(poolMode === "transaction" ? { DATABASE_POOL_MODE: poolMode } : {}),
    ...(options.redis !== undefined ? { REDIS_URL: options.redis.url, REDIS_KEY_PREFIX: options.redis.prefix } : {}),
    ...options.env,
  });
  const config = loadConfig(env, { devMaterial: material });
  let app: App;
  try {
    app = await buildApp(config, { logger: silent, processMetrics: false, clock: options.clock });
  } catch (e) {
    await database?.dispose();
    throw e;
  }
  const baseUrl = `https://localhost:${app.server.grpcPort}`;
  const ca = readFileSync(material.caCertFile);
  const transport = (identity: Identity, interceptors: Interceptor[] = []): Transport => {
    const c = material.clients[identity];
    return createGrpcTransport({
      baseUrl,
      interceptors,
      nodeOptions: { ca, cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) },
    });
  };
  const adminApiKey = readFileSync(material.adminApiKeyFile, "utf8").trim();
  const harness: TestApp = {
    app,
    config,
    material,
    database,
    databaseUrl,
    baseUrl,
    adminApiKey,
    transport,
    client: (service, identity, interceptors) => createClient(service, transport(identity, interceptors)),
    async adminClients(): Promise<AdminClients> {
      const exchange = createClient(AdminService, transport("admin"));
      const res = await exchange.exchangeToken({}, { headers: { "x-admin-api-key": adminApiKey } });
      return {
        admin: createClient(AdminService, transport("admin", [bearer(res.accessToken)])),
        registry: createClient(AgentRegistryService, transport("admin", [bearer(res.accessToken)])),
        token: res.accessToken,
      };
    },
    verifier: () => createClient(VerifierService, transport("relyingParty")),
    async close() {
      await app.stop(5_000);
      await database?.dispose();
      if (options.material === undefined && options.shareDatabaseOf === undefined) {
        rmSync(join(material.dir, ".."), { recursive: true, force: true });
      }
    },
  };
  return harness;
}
