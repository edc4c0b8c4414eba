/** The benchmarked service: buildApp in this process on loopback port 0 with throw-away development material. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { deleteKeysWithPrefix } from "../../adapters/redis/keyspace.js";
import pg from "pg";
import pino from "pino";
import { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { buildApp, type App } from "../../app.js";
import { prepareDevelopmentMaterial, type DevClientCertificate, type DevMaterial } from "../../config/dev-material.js";
import { loadConfig } from "../../config/load.js";
import { bearer } from "../pilot/clients.js";

export interface BenchServiceOptions {
  /**
   * Real Postgres instead of embedded PGlite: the server of this URL gets a throw-away database
   * (bench_<random>, created through the URL's database and dropped at the end).
   */
  readonly databaseUrl: string | undefined;
  /** Real Redis instead of the in-memory stores (keys go under a unique prefix, deleted at the end). */
  readonly redisUrl: string | undefined;
}

export interface BenchService {
  readonly app: App;
  readonly material: DevMaterial;
  readonly issuerUrl: string;
  readonly storage: string;
  readonly admin: { admin: Client<typeof AdminService>; registry: Client<typeof AgentRegistryService> };
  readonly verifier: Client<typeof VerifierService>;
  close(): Promise<void>;
}

/** Limits far above what the bench sends, so it measures the work and not the refusals. */
const UNLIMITED_PER_MINUTE = "1000000";

/** Runs one statement on the database named by `url` (CREATE/DROP DATABASE need their own connection). */
async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates bench_<random> on the server of `url` and returns its URL and a function dropping it. */
async function throwAwayDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bench_${randomBytes(6).toString("hex")}`;
  await adminQuery(url, `CREATE DATABASE ${name}`);
  const own = new URL(url);
  own.pathname = `/${name}`;
  return { url: own.toString(), drop: () => adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export async function startBenchService(options: BenchServiceOptions): Promise<BenchService> {
  const root = mkdtempSync(join(tmpdir(), "aid-bench-"));
  const redisPrefix = `bench:${randomBytes(6).toString("hex")}:`;
  let app: App | undefined;
  const database = options.databaseUrl === undefined ? undefined : await throwAwayDatabase(options.databaseUrl);
  try {
    const material = await prepareDevelopmentMaterial(join(root, "dev"), () => undefined);
    const config = loadConfig(
      {
        APP_ENV: "development",
        HOST: "127.0.0.1",
        GRPC_PORT: "0",
        BROWSER_PORT: "0",
        SIDECAR_PORT: "0",
        LOG_LEVEL: "silent",
        PGLITE_DATA_DIR: "memory://",
        RATE_LIMIT_PER_MINUTE: UNLIMITED_PER_MINUTE,
        AGENT_RATE_LIMIT_PER_MINUTE: UNLIMITED_PER_MINUTE,
        API_RATE_LIMIT_PER_MINUTE: UNLIMITED_PER_MINUTE,
        AUDIT_CHECKPOINT_INTERVAL_SECONDS: "3600",
        ...(database !== undefined ? { DATABASE_URL: database.url } : {}),
        ...(options.redisUrl !== undefined ? { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: redisPrefix } : {}),
      },
      { devMaterial: material },
    );
    const started = await buildApp(config, { logger: pino({ level: "silent" }), processMetrics: false });
    app = started;
    const ca = readFileSync(material.caCertFile);
    const transport = (c: DevClientCertificate, interceptors: Interceptor[] = []): Transport =>
      createGrpcTransport({
        baseUrl: `https://localhost:${started.server.grpcPort}`,
        interceptors,
        nodeOptions: { ca, cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) },
      });
    const exchange = createClient(AdminService, transport(material.clients.admin));
    const apiKey = readFileSync(material.adminApiKeyFile, "utf8").trim();
    const { accessToken } = await exchange.exchangeToken({}, { headers: { "x-admin-api-key": apiKey } });
    const adminTransport = transport(material.clients.admin, [bearer(accessToken)]);
    return {
      app: started,
      material,
      issuerUrl: config.issuer.issuerUrl,
      storage: `${options.databaseUrl !== undefined ? "postgres" : "pglite (memory)"} + ${options.redisUrl !== undefined ? "redis" : "in-memory stores"}`,
      admin: { admin: createClient(AdminService, adminTransport), registry: createClient(AgentRegistryService, adminTransport) },
      verifier: createClient(VerifierService, transport(material.clients.relyingParty)),
      async close() {
        try {
          await started.stop(5_000);
          if (options.redisUrl !== undefined) await deleteKeysWithPrefix(options.redisUrl, redisPrefix);
        } finally {
          await database?.drop();
          rmSync(root, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    await app?.stop(5_000);
    await database?.drop();
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}
