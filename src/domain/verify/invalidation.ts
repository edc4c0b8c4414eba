/** Cache-invalidation bus port: published after commit; a subscriber flushes its whole cache on every (re)subscribe. */

export type Invalidation =
  | { readonly kind: "agent"; readonly agentId: string; readonly version: number }
  | { readonly kind: "issuer_keys" };

export interface InvalidationSubscription {
  close(): Promise<void>;
}

export interface InvalidationBus {
  /** Announces a committed change to every replica (including this one). */
  publish(message: Invalidation): Promise<void>;
  /**
   * Delivers messages to `handler`. `onResubscribe` runs after the first subscription and after every
   * re-subscription (a reconnect may have lost messages): the subscriber must flush its whole cache there.
   */
  subscribe(handler: (message: Invalidation) => void, onResubscribe: () => void): Promise<InvalidationSubscription>;
}

/** Parses a bus message (JSON text); undefined when it is not a valid invalidation. */
export function parseInvalidation(text: string): Invalidation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.kind === "issuer_keys") return { kind: "issuer_keys" };
  if (v.kind === "agent" && typeof v.agentId === "string" && typeof v.version === "number") {
    return { kind: "agent", agentId: v.agentId, version: v.version };
  }
  return undefined;
}
