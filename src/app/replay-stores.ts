/** Composition step: the replay gate and invalidation bus, on Redis or (development) in this process only. */
import { MemoryInvalidationBus } from "../adapters/memory/invalidation-bus.js";
import { MemoryReplayGate } from "../adapters/memory/replay-gate.js";
import { checkRedisReady, createRedis, waitForRedis } from "../adapters/redis/connection.js";
import { RedisInvalidationBus } from "../adapters/redis/invalidation-bus.js";
import { RedisReplayGate } from "../adapters/redis/replay-gate.js";
import type { Database } from "../adapters/sql/database.js";
import { SqlReplayLedger } from "../adapters/sql/replay-ledger.js";
import type { Config } from "../config/types.js";
import type { Clock } from "../domain/clock.js";
import type { InvalidationBus, ReplayStore } from "../domain/verify/index.js";
import type { HealthRegistry } from "../server/health-registry.js";
import type { ReplayWindowNotice } from "../server/replay-window-notice.js";
import type { Logger } from "../telemetry/logger.js";
import type { Opened } from "./closers.js";
import { dependencyProbe } from "./probes.js";

export interface ReplayStores {
  readonly gate: ReplayStore;
  readonly bus: InvalidationBus;
  /** Called once the start-up epoch is in place: from then on the Redis probe re-creates an epoch Redis lost. */
  epochReady(): void;
}

export interface ReplayStoreDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly health: HealthRegistry;
  /** The database that keeps the in-memory gate's nonces (development without Redis). */
  readonly db: Database;
  readonly replayWindow: ReplayWindowNotice;
}

/** Redis when REDIS_URL is set (with the "redis" readiness probe), else the in-memory stores (nonces in the database). */
export async function openReplayStores(deps: ReplayStoreDeps): Promise<Opened<ReplayStores>> {
  const { config, logger, clock, health, replayWindow } = deps;
  if (config.storage.redisUrl === undefined) {
    logger.warn("DEVELOPMENT SETUP: no REDIS_URL, rate limits and invalidations live in this process only (nonces in the database)");
    const gate = new MemoryReplayGate(clock, new SqlReplayLedger(deps.db));
    return { value: { gate, bus: new MemoryInvalidationBus(), epochReady: () => undefined }, close: () => undefined };
  }
  const client = createRedis(config.storage.redisUrl);
  // Without a listener ioredis prints "[ioredis] Unhandled error event" to stderr on every reconnect attempt,
  // past the structured logger. Commands still fail closed (UNAVAILABLE) and /readyz reports redis.
  // The message only: a reconnect loop repeats it every few seconds, a stack trace would say nothing more.
  client.on("error", (err: Error) => logger.warn({ error: err.message }, "redis connection error; reconnecting"));
  const close = (): void => void client.disconnect();
  try {
    await waitForRedis(client);
  } catch (e) {
    close();
    throw e;
  }
  const prefix = config.storage.redisKeyPrefix;
  const gate = new RedisReplayGate(client, prefix, { onBeforeEpoch: (ms) => replayWindow.observe(ms) });
  // Until the start-up epoch is in place the probe must not create one (at "now").
  let epochInitialised = false;
  health.register(
    "redis",
    async () => {
      const ready = await checkRedisReady(client);
      if (!ready.ok) throw new Error(ready.reason);
      // A Redis that lost its data while we run: the epoch starts now (as the next admit would), and is told.
      if (epochInitialised) replayWindow.observe(await gate.initEpoch(clock.nowMs()));
    },
    dependencyProbe(config),
  );
  const epochReady = (): void => {
    epochInitialised = true;
  };
  return { value: { gate, bus: new RedisInvalidationBus(client, prefix), epochReady }, close };
}
