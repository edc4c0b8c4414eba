/** Runs a Lua script with EVALSHA (one round trip), loading it with EVAL on NOSCRIPT; errors become unavailable. */
import { createHash } from "node:crypto";
import type { RedisClient } from "./connection.js";
import { unavailable } from "../../domain/errors.js";

export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  /** Evaluates the script; a connection or server error throws DomainError unavailable (fail closed). */
  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      try {
        return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
      } catch (e) {
        if (!(e instanceof Error) || !e.message.startsWith("NOSCRIPT")) throw e;
        return await redis.eval(this.lua, keys.length, ...keys, ...args);
      }
    } catch (cause) {
      throw unavailable("redis.unavailable", "replay store", cause);
    }
  }
}

/** Runs one plain Redis call, mapping any failure to DomainError unavailable. */
export async function redisCall<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (cause) {
    throw unavailable("redis.unavailable", "replay store", cause);
  }
}
