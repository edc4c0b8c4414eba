/** Opens the shared ioredis connection (one server or a cluster) with fail-closed options and checks readiness (noeviction). */
import { Cluster, Redis } from "ioredis";
import { parseRedisEndpoint, type RedisEndpoint } from "../../config/redis-url.js";
import { unavailable } from "../../domain/errors.js";

/** One Redis server or a Redis Cluster: every adapter here works with either. */
export type RedisClient = Redis | Cluster;

const reconnectDelayMs = (attempt: number): number => Math.min(attempt * 100, 2000);

/**
 * A Redis client that fails commands at once while disconnected (no offline queue, one retry, command
 * timeout) so Verify answers UNAVAILABLE instead of hanging, and reconnects by itself forever. Commands issued
 * in the same tick share one socket write (auto-pipelining): a write per Verify was ~10% of the service's CPU.
 */
export function createRedis(url: string, commandTimeoutMs = 2000): RedisClient {
  const endpoint = parseRedisEndpoint(url);
  if (endpoint.kind === "cluster") return createCluster(endpoint, commandTimeoutMs);
  return new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    retryStrategy: reconnectDelayMs,
  });
}

/**
 * A cluster client with the same fail-closed behaviour: commands fail while the cluster is not ready (no
 * offline queue), each node command times out, MOVED/ASK/TRYAGAIN/CLUSTERDOWN are followed for a bounded
 * time (a failover takes about cluster-node-timeout), writes and reads go to masters only (a replica may lag).
 */
function createCluster(endpoint: Extract<RedisEndpoint, { kind: "cluster" }>, commandTimeoutMs: number): Cluster {
  return new Cluster(
    endpoint.seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      scaleReads: "master",
      maxRedirections: 16,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: commandTimeoutMs,
      clusterRetryStrategy: reconnectDelayMs,
      redisOptions: {
        username: endpoint.username,
        password: endpoint.password,
        tls: endpoint.tls ? {} : undefined,
        maxRetriesPerRequest: 1,
        commandTimeout: commandTimeoutMs,
        connectTimeout: 5000,
      },
    },
  );
}

/** Waits until the client is connected (or throws unavailable after timeoutMs, naming the last connection error). */
export async function waitForRedis(redis: RedisClient, timeoutMs = 5000): Promise<void> {
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
 * nonces and reopen proofs); on a cluster, every master must (and the cluster must be ready). Never throws:
 * reports why it is not ready.
 */
export async function checkRedisReady(redis: RedisClient): Promise<RedisReadiness> {
  if (!(redis instanceof Cluster)) return checkServer(redis, "redis");
  if (redis.status !== "ready") return { ok: false, reason: `redis cluster client is ${redis.status}` };
  const masters = redis.nodes("master");
  if (masters.length === 0) return { ok: false, reason: "redis cluster has no known master" };
  const results = await Promise.all(masters.map((m) => checkServer(m, `redis master ${m.options.host}:${m.options.port}`)));
  return results.find((r) => !r.ok) ?? { ok: true };
}

async function checkServer(redis: Redis, name: string): Promise<RedisReadiness> {
  let reply: unknown;
  try {
    reply = await redis.config("GET", "maxmemory-policy");
  } catch (e) {
    return { ok: false, reason: `${name} unreachable or config get refused: ${e instanceof Error ? e.message : "error"}` };
  }
  const policy = Array.isArray(reply) ? reply[1] : undefined;
  if (policy !== "noeviction") {
    return { ok: false, reason: `${name} maxmemory-policy is ${String(policy)}, noeviction required` };
  }
  return { ok: true };
}
