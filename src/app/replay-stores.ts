/** Composition step: the replay gate and invalidation bus, on Redis or (development) in this process only. */
import { MemoryInvalidationBus } from "../adapters/memory/invalidation-bus.js";
import { MemoryReplayGate } from "../adapters/memory/replay-gate.js";
import { checkRedisReady, createRedis, waitForRedis } from "../adapters/redis/connection.js";
import { RedisInvalidationBus } from "../adapters/redis/invalidation-bus.js";
import { RedisReplayGate } from "../adapters/redis/replay-gate.js";
import type { Config } from "../config/types.js";
import type { Clock } from "../domain/clock.js";
import type { InvalidationBus, ReplayStore } from "../domain/verify/index.js";
import type { HealthRegistry } from "../server/health-registry.js";
import type { Logger } from "../telemetry/logger.js";
import type { Opened } from "./closers.js";
import { dependencyProbe } from "./probes.js";

export interface ReplayStores {
  readonly gate: ReplayStore;
  readonly bus: InvalidationBus;
}

/** Redis when REDIS_URL is set (with the "redis" readiness probe), else the in-memory stores. */
export async function openReplayStores(config: Config, logger: Logger, clock: Clock, health: HealthRegistry): Promise<Opened<ReplayStores>> {
  if (config.storage.redisUrl === undefined) {
    logger.warn("DEVELOPMENT SETUP: no REDIS_URL, nonces, rate limits and invalidations live in this process only");
    return { value: { gate: new MemoryReplayGate(clock), bus: new MemoryInvalidationBus() }, close: () => undefined };
  }
  const client = createRedis(config.storage.redisUrl);
  // Without a listener ioredis prints "[ioredis] Unhandled error event" to stderr on every reconnect attempt,
  // past the structured logger. Commands still fail closed (UNAVAILABLE) and /readyz reports redis.
  client.on("error", (err: Error) => logger.warn({ err }, "redis connection error; reconnecting"));
  const close = (): void => void client.disconnect();
  try {
    await waitForRedis(client);
  } catch (e) {
    close();
    throw e;
  }
  const prefix = config.storage.redisKeyPrefix;
  health.register(
    "redis",
    async () => {
      const ready = await checkRedisReady(client);
      if (!ready.ok) throw new Error(ready.reason);
    },
    dependencyProbe(config),
  );
  return { value: { gate: new RedisReplayGate(client, prefix), bus: new RedisInvalidationBus(client, prefix) }, close };
}
