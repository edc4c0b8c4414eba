/** Opens the shared ioredis connection with fail-closed options and checks Redis readiness (noeviction). */
import { Redis } from "ioredis";
import { unavailable } from "../../domain/errors.js";

/**
 * A Redis client that fails commands at once while disconnected (no offline queue, one retry, command
 * timeout) so Verify answers UNAVAILABLE instead of hanging, and reconnects by itself forever. Commands issued
 * in the same tick share one socket write (auto-pipelining): a write per Verify was ~10% of the service's CPU.
 */
export function createRedis(url: string, commandTimeoutMs = 2000): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  });
}

/** Waits until the client is connected (or throws unavailable after timeoutMs, naming the last connection error). */
export async function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === "ready") return;
  let lastError: Error | undefined;
  const onError = (err: Error): void => {
    lastError = err;
  };
  redis.on("error", onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        redis.off("ready", onReady);
        const why = lastError === undefined ? "" : ` (last error: ${lastError.message})`;
        reject(unavailable("redis.unavailable", "redis", new Error(`not ready after ${timeoutMs} ms${why}`)));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      redis.once("ready", onReady);
    });
  } finally {
    redis.off("error", onError);
  }
}

export type RedisReadiness = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Ready only when Redis answers and runs with maxmemory-policy noeviction (an evicting Redis could drop
 * nonces and reopen proofs). Never throws: reports why it is not ready.
 */
export async function checkRedisReady(redis: Redis): Promise<RedisReadiness> {
  let reply: unknown;
  try {
    reply = await redis.config("GET", "maxmemory-policy");
  } catch (e) {
    return { ok: false, reason: `redis unreachable or config get refused: ${e instanceof Error ? e.message : "error"}` };
  }
  const policy = Array.isArray(reply) ? reply[1] : undefined;
  if (policy !== "noeviction") {
    return { ok: false, reason: `redis maxmemory-policy is ${String(policy)}, noeviction required` };
  }
  return { ok: true };
}
