/** Redis pub/sub invalidation bus (one server or a cluster): publish on the shared client, subscribe on a link of its own. */
import { Cluster, type Redis } from "ioredis";
import type { Invalidation, InvalidationBus, InvalidationSubscription } from "../../domain/verify/invalidation.js";
import { parseInvalidation } from "../../domain/verify/invalidation.js";
import type { RedisClient } from "./connection.js";
import { redisCall } from "./script.js";
import { SubscriberLink } from "./subscriber-link.js";

/**
 * On a cluster, every publisher sends through the same node (the first master by address): the cluster bus
 * forwards one node's messages to each other node over one link, in order, so subscribers on any node see the
 * messages in publication order, as on one server. Undefined: no master known, or one server.
 */
function publishingNode(redis: RedisClient): Redis | undefined {
  if (!(redis instanceof Cluster)) return undefined;
  const address = (r: Redis): string => `${r.options.host ?? ""}:${r.options.port ?? 0}`;
  return [...redis.nodes("master")].sort((a, b) => address(a).localeCompare(address(b)))[0];
}

/**
 * Classic PUBLISH: on a cluster the message crosses the cluster bus to every node, so a subscriber on any
 * node (master or replica) receives it, whichever shard its agent lives on and across a failover.
 */
export class RedisInvalidationBus implements InvalidationBus {
  private readonly channel: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    /** CLIENT SETNAME of the subscriber connection (operators and tests find it by name). */
    private readonly subscriberName = "agent-identity-invalidation",
  ) {
    this.channel = `${prefix}invalidate`;
  }

  async publish(message: Invalidation): Promise<void> {
    const text = JSON.stringify(message);
    const node = publishingNode(this.redis);
    if (node !== undefined) {
      // That node unreachable (a failover under way): any other node still reaches every subscriber.
      const sent = await node.publish(this.channel, text).then(
        () => true,
        () => false,
      );
      if (sent) return;
    }
    await redisCall(() => this.redis.publish(this.channel, text));
  }

  /**
   * Opens a dedicated subscriber link that reconnects forever. On every (re)subscription it calls
   * onResubscribe, so the cache is flushed whenever messages may have been lost. Returns once the first
   * subscription is active.
   */
  async subscribe(
    handler: (message: Invalidation) => void,
    onResubscribe: () => void,
  ): Promise<InvalidationSubscription> {
    const link = new SubscriberLink(this.redis, this.channel, this.subscriberName, {
      message: (text) => {
        const message = parseInvalidation(text);
        if (message !== undefined) handler(message);
      },
      resubscribed: onResubscribe,
    });
    await redisCall(() => link.open());
    return {
      close: async () => link.close(),
    };
  }
}
