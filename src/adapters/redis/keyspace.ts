/** Deletes every key under a prefix (SCAN + DEL on every master, never KEYS): cleanup for tests, the bench and operators. */
import { Cluster, type Redis } from "ioredis";
import { createRedis, waitForRedis, type RedisClient } from "./connection.js";

/** Deletes the keys of `url` (one server or a cluster) that start with `prefix`; returns how many were deleted. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const redis = createRedis(url, 5000);
  redis.on("error", () => undefined);
  try {
    await waitForRedis(redis);
    return await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Deletes the keys under `prefix` through an open client: on a cluster, scans every master. */
export async function deleteKeysUnder(redis: RedisClient, prefix: string): Promise<number> {
  const servers = redis instanceof Cluster ? redis.nodes("master") : [redis];
  const counts = await Promise.all(servers.map((server) => deleteOnServer(server, prefix, redis instanceof Cluster)));
  return counts.reduce((a, b) => a + b, 0);
}

async function deleteOnServer(server: Redis, prefix: string, clusterNode: boolean): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await server.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length === 0) continue;
    // A cluster node refuses a DEL whose keys lie in different slots: one DEL per key there.
    if (!clusterNode) deleted += await server.del(...keys);
    else for (const n of await Promise.all(keys.map((k) => server.del(k)))) deleted += n;
  } while (cursor !== "0");
  return deleted;
}
