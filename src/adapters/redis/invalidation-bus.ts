/** Redis pub/sub invalidation bus: publish on the shared connection, subscribe on a dedicated one. */
import type { Redis } from "ioredis";
import type { Invalidation, InvalidationBus, InvalidationSubscription } from "../../domain/verify/invalidation.js";
import { parseInvalidation } from "../../domain/verify/invalidation.js";
import { redisCall } from "./script.js";

export class RedisInvalidationBus implements InvalidationBus {
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** CLIENT SETNAME of the subscriber connection (operators and tests find it by name). */
    private readonly subscriberName = "agent-identity-invalidation",
  ) {
    this.channel = `${prefix}invalidate`;
  }

  async publish(message: Invalidation): Promise<void> {
    await redisCall(() => this.redis.publish(this.channel, JSON.stringify(message)));
  }

  /**
   * Opens a dedicated subscriber connection that reconnects forever. On every "ready" (first connect and
   * each reconnect) it subscribes again and then calls onResubscribe, so the cache is flushed whenever
   * messages may have been lost. Returns once the first subscription is active.
   */
  async subscribe(
    handler: (message: Invalidation) => void,
    onResubscribe: () => void,
  ): Promise<InvalidationSubscription> {
    const sub = this.redis.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: true,
      lazyConnect: true,
      connectionName: this.subscriberName,
    });
    sub.on("error", () => {
      // Reconnects by itself; the gate's state-version check covers messages lost meanwhile.
    });
    // disconnect() only half-closes the socket: replies already on their way still arrive after close().
    let closed = false;
    sub.on("message", (channel: string, text: string) => {
      if (closed || channel !== this.channel) return;
      const message = parseInvalidation(text);
      if (message !== undefined) handler(message);
    });
    let first: ((error?: unknown) => void) | undefined;
    const subscribed = new Promise<void>((resolve, reject) => {
      first = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    sub.on("ready", () => {
      sub.subscribe(this.channel).then(
        () => {
          onResubscribe();
          first?.();
          first = undefined;
        },
        (error: unknown) => {
          first?.(error);
          first = undefined;
        },
      );
    });
    await redisCall(() => sub.connect());
    await redisCall(() => subscribed);
    return {
      close: async () => {
        closed = true;
        sub.disconnect(false);
      },
    };
  }
}
