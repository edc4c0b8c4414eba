/** The invalidation bus's subscriber connection: one server's duplicate, or on a cluster a node it moves off when that node goes. */
import { Cluster, Redis } from "ioredis";
import type { RedisClient } from "./connection.js";

export interface LinkHandlers {
  /** A message on the channel (only while the link is open, only from the active connection). */
  message(text: string): void;
  /** The channel was subscribed (again): messages may have been lost before this. */
  resubscribed(): void;
}

/** How often a cluster subscriber reconnects to its node before it moves to the next one. */
const NODE_ATTEMPTS = 3;

/**
 * Subscribes `channel` on a dedicated connection and keeps it subscribed: on one server the connection
 * reconnects forever; on a cluster (classic PUBLISH reaches every node, masters and replicas) it is a plain
 * connection to one node, and when that node stays unreachable the link moves to the next known node. Every
 * (re)subscription calls resubscribed, since messages may have been lost meanwhile.
 */
export class SubscriberLink {
  private current: Redis | undefined;
  private closed = false;
  private nodeIndex = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly channel: string,
    private readonly name: string,
    private readonly handlers: LinkHandlers,
  ) {}

  /** Resolves once the first subscription is active; throws when no connection could subscribe. */
  async open(): Promise<void> {
    const tries = this.client instanceof Cluster ? Math.max(1, this.client.nodes("all").length) : 1;
    let lastError: unknown;
    for (let i = 0; i < tries; i++) {
      const conn = this.connection();
      try {
        await this.attach(conn);
        return;
      } catch (e) {
        lastError = e;
        this.current = undefined;
        conn.disconnect();
      }
    }
    throw lastError;
  }

  close(): void {
    this.closed = true;
    this.current?.disconnect(false);
    this.current = undefined;
  }

  /** A new subscriber connection: the client's duplicate, or the next cluster node in turn. */
  private connection(): Redis {
    const options = { autoResubscribe: false, enableOfflineQueue: true, lazyConnect: true, connectionName: this.name };
    if (!(this.client instanceof Cluster)) return this.client.duplicate(options);
    const nodes = this.client.nodes("all");
    const node = nodes[this.nodeIndex++ % Math.max(1, nodes.length)];
    if (node === undefined) throw new Error("redis cluster: no known node to subscribe on");
    const o = node.options;
    return new Redis({
      ...options,
      host: o.host,
      port: o.port,
      username: o.username,
      password: o.password,
      tls: o.tls,
      connectTimeout: o.connectTimeout,
      retryStrategy: (attempt: number) => (attempt > NODE_ATTEMPTS ? null : attempt * 100),
    });
  }

  /** Makes conn the active connection; resolves once its first subscription is active. */
  private async attach(conn: Redis): Promise<void> {
    this.current = conn;
    const active = (): boolean => !this.closed && this.current === conn;
    // Reconnects by itself (or moves on, below); the gate's state-version check covers messages lost meanwhile.
    conn.on("error", () => undefined);
    // disconnect() only half-closes the socket: replies already on their way still arrive after close().
    conn.on("message", (channel: string, text: string) => {
      if (active() && channel === this.channel) this.handlers.message(text);
    });
    let first: ((error?: unknown) => void) | undefined;
    const subscribed = new Promise<void>((resolve, reject) => {
      first = (error?: unknown) => (error === undefined ? resolve() : reject(error));
    });
    conn.on("ready", () => {
      conn.subscribe(this.channel).then(
        () => {
          if (active()) this.handlers.resubscribed();
          first?.();
          first = undefined;
        },
        (error: unknown) => {
          first?.(error);
          first = undefined;
        },
      );
    });
    // Only a cluster node's connection ends by itself (after NODE_ATTEMPTS): move to the next node.
    conn.once("end", () => {
      if (active()) setTimeout(() => this.moveOn(), 100);
    });
    await conn.connect();
    await subscribed;
  }

  private moveOn(): void {
    if (this.closed) return;
    let conn: Redis;
    try {
      conn = this.connection();
    } catch {
      setTimeout(() => this.moveOn(), 1000);
      return;
    }
    // Failures surface as "end" again, which moves on once more.
    this.attach(conn).catch(() => undefined);
  }
}
