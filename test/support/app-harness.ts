/** Starts the whole service (buildApp) on port 0 for end-to-end tests, with mTLS clients for each dev identity. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { buildApp, type App } from "../../src/app.js";
import { prepareDevelopmentMaterial, type DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";
import type { Clock } from "../../src/domain/clock.js";
import type { DatabaseTarget, RedisTarget, TestDatabase } from "./databases.js";

export type Identity = "admin" | "relyingParty" | "agent";

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

export interface TestApp {
  readonly app: App;
  readonly config: Config;
  readonly material: DevMaterial;
  readonly database: TestDatabase | undefined;
  readonly databaseUrl: string | undefined;
  /** Base URL of the mTLS port. */
  readonly baseUrl: string;
  transport(identity: Identity, interceptors?: Interceptor[]): Transport;
  client<S extends DescService>(service: S, identity: Identity, interceptors?: Interceptor[]): Client<S>;
  /** An admin client whose calls carry a fresh admin JWT. */
  adminClients(): Promise<{ admin: Client<typeof AdminService>; registry: Client<typeof AgentRegistryService>; token: string }>;
  /** A relying-party Verifier client. */
  verifier(): Client<typeof VerifierService>;
  readonly adminApiKey: string;
  /** Stops the app, disposes the database (unless shared) and removes temporary files. */
  close(): Promise<void>;
}

const silent = pino({ level: "silent" });

/** Generates development material once into a temporary directory (per test file). */
export async function testMaterial(): Promise<DevMaterial> {
  const dir = mkdtempSync(join(tmpdir(), "aid-test-"));
  return prepareDevelopmentMaterial(join(dir, "dev"), () => undefined);
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const material = options.material ?? options.shareDatabaseOf?.material ?? (await testMaterial());
  let database: TestDatabase | undefined;
  let databaseUrl: string | undefined = options.shareDatabaseOf?.databaseUrl;
  if (options.shareDatabaseOf === undefined && options.database.name === "postgres") {
    database = await options.database.open({ migrate: false });
    databaseUrl = database.url;
    // The app migrates its own database; the harness keeps only the handle for dispose().
  }
  if (options.shareDatabaseOf !== undefined && databaseUrl === undefined) {
    throw new Error("sharing a database between two apps needs real Postgres");
  }
  const env: Record<string, string> = {
    APP_ENV: "development",
    HOST: "127.0.0.1",
    GRPC_PORT: "0",
    BROWSER_PORT: "0",
    SIDECAR_PORT: "0",
    LOG_LEVEL: "silent",
    PGLITE_DATA_DIR: "memory://",
    AUDIT_CHECKPOINT_INTERVAL_SECONDS: "3600",
    RELYING_PARTY_ORGS: `${material.clients.relyingParty.identity}=*`,
    ...(databaseUrl !== undefined ? { DATABASE_URL: databaseUrl } : {}),
    ...(options.redis !== undefined ? { REDIS_URL: options.redis.url, REDIS_KEY_PREFIX: options.redis.prefix } : {}),
    ...options.env,
  };
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
    async adminClients() {
      const exchange = createClient(AdminService, transport("admin"));
      const res = await exchange.exchangeToken({}, { headers: { "x-admin-api-key": adminApiKey } });
      const bearer: Interceptor = (next) => (req) => {
        req.header.set("authorization", `Bearer ${res.accessToken}`);
        return next(req);
      };
      return {
        admin: createClient(AdminService, transport("admin", [bearer])),
        registry: createClient(AgentRegistryService, transport("admin", [bearer])),
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
