/** The composition root: builds every adapter, domain service and listener from a Config; main.ts and tests use it. */
import { Buffer } from "node:buffer";
import { mkdirSync } from "node:fs";
import type { Redis } from "ioredis";
import { MemoryInvalidationBus } from "./adapters/memory/invalidation-bus.js";
import { MemoryReplayGate } from "./adapters/memory/replay-gate.js";
import { checkRedisReady, createRedis, waitForRedis } from "./adapters/redis/connection.js";
import { RedisInvalidationBus } from "./adapters/redis/invalidation-bus.js";
import { RedisReplayGate } from "./adapters/redis/replay-gate.js";
import { loadFileSigner } from "./adapters/signer/file-signer.js";
import { createKmsSigner } from "./adapters/signer/kms-signer.js";
import { openPglite, openPostgres, type Database } from "./adapters/sql/database.js";
import { migrate } from "./adapters/sql/migrations.js";
import { lockPgliteDirectory } from "./adapters/sql/pglite-lock.js";
import { createSqlPersister } from "./adapters/sql/persister.js";
import { SqlReplayLedger } from "./adapters/sql/replay-ledger.js";
import { AdminService } from "../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../gen/agentidentity/v1/registry_pb.js";
import { apiRoutes } from "./api/routes.js";
import { readPrivateJwkFile } from "./config/jwk-file.js";
import type { Config } from "./config/types.js";
import { createAdmin } from "./domain/admin/index.js";
import { createAgents } from "./domain/agents/index.js";
import { auditDecisionRecorder, createAudit, createCheckpointer, createDecisionWriter, signCheckpoint } from "./domain/audit/index.js";
import { systemClock, type Clock } from "./domain/clock.js";
import { buildJwks, createCredentials, createSignerProbe, type IssuerKeySet } from "./domain/credentials/index.js";
import type { Signer } from "./domain/keys/index.js";
import { createOrgs } from "./domain/orgs/index.js";
import { createRenewal } from "./domain/renewal/index.js";
import { CachedTrustStateSource, decodeTrustState, TelemetryService, TrustScorer } from "./domain/trust/index.js";
import {
  AgentStateCache,
  createVerify,
  initReplayEpoch,
  SessionKeys,
  type InvalidationBus,
  type InvalidationSubscription,
  type ProofWindow,
  type ReplayStore,
} from "./domain/verify/index.js";
import { HealthRegistry } from "./server/health-registry.js";
import type { TlsMaterial } from "./server/listeners.js";
import { createReplayWindowNotice } from "./server/replay-window-notice.js";
import { startServer, type RunningServer } from "./server/server.js";
import { createLogger, type Logger } from "./telemetry/logger.js";
import { createMetrics, type Metrics } from "./telemetry/metrics.js";
import { verifyMetricsOf } from "./telemetry/verify-metrics.js";

export interface AppOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** PEM material instead of the files named in config.tls (tests). */
  readonly tls?: TlsMaterial;
  /** Collect process metrics (default true; tests running several apps in one process turn it off). */
  readonly processMetrics?: boolean;
}

export interface App {
  readonly config: Config;
  readonly server: RunningServer;
  readonly metrics: Metrics;
  readonly health: HealthRegistry;
  readonly keySet: IssuerKeySet;
  /** Graceful stop: NOT_SERVING, drain in-flight calls (up to deadlineMs), flush the audit writer, close pools. */
  stop(deadlineMs?: number): Promise<void>;
}

const DEPENDENCY_PROBE_MS = 5_000;
/** A dependency that takes longer than this to answer a probe is not ready (a stalled Postgres answers nothing). */
const DEPENDENCY_PROBE_TIMEOUT_MS = 2_000;

/** Closes what was opened so far when start-up fails half-way. */
class Closers {
  private readonly fns: (() => Promise<void> | void)[] = [];
  add(fn: () => Promise<void> | void): void {
    this.fns.unshift(fn);
  }
  async closeAll(logger: Logger): Promise<void> {
    for (const fn of this.fns.splice(0)) {
      try {
        await fn();
      } catch (e) {
        logger.error({ err: e }, "shutdown step failed");
      }
    }
  }
}

async function openDatabase(config: Config, logger: Logger, closers: Closers): Promise<Database> {
  const url = config.storage.databaseUrl;
  if (url !== undefined) {
    return openPostgres(url, {
      statementTimeoutMs: config.storage.statementTimeoutMs,
      onIdleError: (err) => logger.warn({ err }, "postgres connection failed; it is replaced"),
    });
  }
  logger.warn(
    { dataDir: config.storage.pgliteDataDir },
    "DEVELOPMENT SETUP: no DATABASE_URL, using embedded PGlite (single process only; not for production)",
  );
  if (!config.storage.pgliteDataDir.startsWith("memory://")) {
    mkdirSync(config.storage.pgliteDataDir, { recursive: true, mode: 0o700 });
    // PGlite is single-process: a second service on the same directory would corrupt it.
    const lock = lockPgliteDirectory(config.storage.pgliteDataDir);
    closers.add(() => lock.release());
  }
  return openPglite(config.storage.pgliteDataDir);
}

async function openIssuerSigner(config: Config, closers: Closers): Promise<Signer> {
  const kms = config.issuer.kms;
  if (kms !== undefined) {
    const signer = await createKmsSigner({ keyArn: kms.keyArn, region: kms.region, endpoint: kms.endpoint });
    closers.add(() => signer.close());
    return signer;
  }
  const file = config.issuer.privateJwkFile;
  if (file === undefined) throw new Error("no issuer key configured (ISSUER_PRIVATE_JWK_FILE or KMS_KEY_ARN)");
  return loadFileSigner(file);
}

/**
 * The session-token key of every replica: derived (HKDF, its own info string) from the admin-token private key
 * that all replicas share, so any replica verifies any session without a new secret to distribute.
 */
function sessionKeysFor(config: Config): SessionKeys {
  const jwk = readPrivateJwkFile(config.admin.jwtPrivateJwkFile, ["P-256"]);
  if (typeof jwk.d !== "string") throw new Error("ADMIN_JWT_PRIVATE_JWK_FILE holds no private key");
  return SessionKeys.fromSeed(Buffer.from(jwk.d, "base64url"));
}

export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({ processMetrics: options.processMetrics ?? true });
  const closers = new Closers();
  try {
    const health = new HealthRegistry({ onCheckResult: (name, ok) => metrics.dependencyUp.set({ dependency: name }, ok ? 1 : 0) });
    closers.add(() => health.stopProbes());
    for (const notice of config.deprecations) logger.warn(notice);
    const proofWindow: ProofWindow = { maxAgeSeconds: config.verify.proofMaxAgeSeconds, futureSkewSeconds: config.verify.proofFutureSkewSeconds };
    const replayWindow = createReplayWindowNotice({ health, logger, clock, window: proofWindow });

    // Storage.
    const db = await openDatabase(config, logger, closers);
    closers.add(() => db.close());
    await migrate(db, { logger: { info: (message) => logger.info(message) } });
    const storage = createSqlPersister(db);
    health.register("postgres", async () => void (await db.query("SELECT 1")), { intervalMs: DEPENDENCY_PROBE_MS, timeoutMs: DEPENDENCY_PROBE_TIMEOUT_MS });

    // Redis (or the in-memory stores).
    let gate: ReplayStore;
    let bus: InvalidationBus;
    let redis: Redis | undefined;
    /** Set once the start-up epoch is in place: until then the Redis probe must not create one (at "now"). */
    let epochInitialised = false;
    if (config.storage.redisUrl !== undefined) {
      const client = createRedis(config.storage.redisUrl);
      // Without a listener ioredis prints "[ioredis] Unhandled error event" to stderr on every reconnect attempt,
      // past the structured logger. Commands still fail closed (UNAVAILABLE) and /readyz reports redis. The message
      // only: a reconnect loop repeats it every few seconds, a stack trace would say nothing more.
      client.on("error", (err: Error) => logger.warn({ error: err.message }, "redis connection error; reconnecting"));
      redis = client;
      closers.add(() => void client.disconnect());
      await waitForRedis(client);
      const redisGate = new RedisReplayGate(client, config.storage.redisKeyPrefix, { onBeforeEpoch: (ms) => replayWindow.observe(ms) });
      gate = redisGate;
      bus = new RedisInvalidationBus(client, config.storage.redisKeyPrefix);
      health.register(
        "redis",
        async () => {
          const ready = await checkRedisReady(client);
          if (!ready.ok) throw new Error(ready.reason);
          // A Redis that lost its data while we run: the epoch starts now (as the next admit would), and is told.
          if (epochInitialised) replayWindow.observe(await redisGate.initEpoch(clock.nowMs()));
        },
        { intervalMs: DEPENDENCY_PROBE_MS, timeoutMs: DEPENDENCY_PROBE_TIMEOUT_MS },
      );
    } else {
      logger.warn("DEVELOPMENT SETUP: no REDIS_URL, rate limits and invalidations live in this process only (nonces in the database)");
      gate = new MemoryReplayGate(clock, new SqlReplayLedger(db));
      bus = new MemoryInvalidationBus();
    }

    replayWindow.observe((await initReplayEpoch(gate, storage.read.audit, clock.nowMs(), proofWindow)).epochMs);
    epochInitialised = true;

    // Issuer.
    const signer = await openIssuerSigner(config, closers);
    const { keySet, minting, verifier: credentialVerifier } = createCredentials({
      signer,
      issuerKeys: storage.read.issuerKeys,
      clock,
      issuerUrl: config.issuer.issuerUrl,
      credentialTtlSeconds: config.issuer.credentialTtlSeconds,
    });
    await keySet.ensureActive(signer);
    // A signer outage degrades only the issuing RPCs; Verify keeps serving. The probe signs on its own timer.
    health.declare("signer", [AgentRegistryService.typeName]);
    const signerProbe = createSignerProbe(signer, clock, 30_000, (status) =>
      health.report("signer", status.ok ? { ok: true } : { ok: false, error: status.error ?? "signer failed" }),
    );
    closers.add(() => signerProbe.stop());

    // Verify path state.
    const agentStates = new AgentStateCache({ load: (id) => storage.read.agents.getState(id) }, gate, {
      clock,
      maxStalenessMs: config.verify.agentStateMaxStalenessSeconds * 1000,
    });
    const subscription: InvalidationSubscription = await agentStates.attach(bus, () => {
      keySet.refresh().catch((e: unknown) => logger.error({ err: e }, "issuer key refresh failed"));
    });
    closers.add(() => subscription.close());
    const trustStates = new CachedTrustStateSource(
      {
        load: async (id) => {
          const stored = await storage.read.trustState.get(id);
          return stored === undefined ? undefined : decodeTrustState(stored.state);
        },
      },
      clock,
    );
    const trustScorer = new TrustScorer(trustStates, clock, (s) => metrics.trustComputeDurationSeconds.observe(s));

    // Audit.
    const decisionWriter = createDecisionWriter({
      appender: storage.auditAppender,
      onBatch: (size) => metrics.auditBatchSize.observe(size),
      onBatchError: (err, size) => logger.error({ err, size }, "audit batch failed"),
    });
    closers.add(() => decisionWriter.close());
    const checkpointer = createCheckpointer({
      store: storage.read.audit,
      signHead: (seq, hash) => signCheckpoint(signer, seq, hash, clock.nowMs()),
      clock,
      intervalMs: config.issuer.auditCheckpointIntervalSeconds * 1000,
      onError: (err) => logger.warn({ err }, "audit checkpoint failed; retrying on the next tick"),
      onChainBroken: (problem) => {
        metrics.auditChainBroken.set(1);
        health.report("audit_chain", { ok: false, error: `audit chain broken: ${problem}` });
        logger.error({ problem }, "audit chain broken since the last checkpoint; no checkpoint will be signed");
      },
    });
    // The chain check only degrades exports (AdminService); /readyz lists it under degraded when it fails.
    health.declare("audit_chain", [AdminService.typeName]);
    health.report("audit_chain", { ok: true });
    metrics.auditChainBroken.set(0);
    checkpointer.start();
    closers.add(() => checkpointer.stop());

    // Verifier.
    const verify = createVerify({
      clock,
      settings: {
        ...proofWindow,
        callerLimitPerMinute: config.verify.rateLimitPerMinute,
        agentLimitPerMinute: config.verify.agentRateLimitPerMinute,
        issuerUrl: config.issuer.issuerUrl,
        sessionTtlSeconds: config.verify.sessionTtlSeconds,
        proposalTtlSeconds: 120,
        audiencesFor: (caller) => config.peers.relyingPartyAudiences.get(caller) ?? [],
      },
      credentials: credentialVerifier,
      sessionKeys: sessionKeysFor(config),
      agents: agentStates,
      replay: gate,
      trust: trustScorer,
      recorder: auditDecisionRecorder(decisionWriter, clock),
      metrics: verifyMetricsOf(metrics),
    });

    // Admin authentication.
    const adminSigner = await loadFileSigner(config.admin.jwtPrivateJwkFile, { variable: "ADMIN_JWT_PRIVATE_JWK_FILE" });
    const admin = createAdmin({
      issuerUrl: config.issuer.issuerUrl,
      apiKeyHashes: config.admin.apiKeyHashes,
      maxTtlSeconds: config.admin.jwtMaxTtlSeconds,
      signer: adminSigner,
      clock,
      uow: storage.unitOfWork,
      onAdminAuth: (result) => metrics.adminAuthTotal.inc({ result }),
      ...(config.browser.admin ? { browser: { ttlSeconds: config.browser.adminJwtTtlSeconds } } : {}),
    });

    // Registry.
    const relyingPartyOrgs = config.peers.relyingPartyOrgs;
    const { agents, propagator } = createAgents({
      uow: storage.unitOfWork,
      reads: storage.read,
      clock,
      minting,
      versions: gate,
      bus,
      serviceAudience: config.issuer.issuerUrl,
      proofWindow,
      relyingPartyOrgs,
      onPropagationError: (agentId, version, attempt, err) =>
        logger.warn({ err, agentId, version, attempt }, "agent change committed but not yet propagated; retrying (replicas re-read it within the staleness bound)"),
    });
    closers.add(() => propagator.close());
    const { renewal } = createRenewal({
      uow: storage.unitOfWork,
      clock,
      agents,
      minting,
      gate,
      serviceAudience: config.issuer.issuerUrl,
      proofWindow,
      renewalsPerMinute: 10,
    });
    const telemetry = new TelemetryService({
      uow: storage.unitOfWork,
      reads: storage.read,
      clock,
      agents,
      relyingPartyOrgs,
      scorer: trustScorer,
    });

    const server = await startServer({
      config,
      logger,
      metrics,
      health,
      adminAuthenticator: admin.authenticator,
      tls: options.tls,
      routes: apiRoutes({
        tokens: admin.exchanger,
        orgs: createOrgs({ uow: storage.unitOfWork, reads: storage.read, clock }).orgs,
        audit: createAudit({ reader: storage.read.audit, issuerKeys: keySet, clock, sealHead: () => checkpointer.checkpointNow() }).query,
        agents,
        renewal,
        telemetry,
        verifier: verify.verifier,
        handshakes: verify.handshakes,
        sessions: verify.sessions,
        keySet,
      }),
      jwks: async () => buildJwks(keySet.published()),
    });
    logger.info(
      { grpcPort: server.grpcPort, browserPort: server.browserPort, sidecarPort: server.sidecarPort, mode: config.mode },
      "agent identity service listening",
    );

    let stopping: Promise<void> | undefined;
    return {
      config,
      server,
      metrics,
      health,
      keySet,
      stop(deadlineMs = 10_000) {
        stopping ??= (async () => {
          await server.shutdown(deadlineMs);
          await closers.closeAll(logger);
          void redis;
        })();
        return stopping;
      },
    };
  } catch (e) {
    await closers.closeAll(logger);
    throw e;
  }
}
