/** In-process invalidation bus for the single-process embedded mode. */
import type { Invalidation, InvalidationBus, InvalidationSubscription } from "../../domain/verify/invalidation.js";

interface Subscriber {
  readonly handler: (message: Invalidation) => void;
  readonly onResubscribe: () => void;
}

export class MemoryInvalidationBus implements InvalidationBus {
  private readonly subscribers = new Set<Subscriber>();

  async publish(message: Invalidation): Promise<void> {
    for (const s of this.subscribers) s.handler(message);
  }

  async subscribe(
    handler: (message: Invalidation) => void,
    onResubscribe: () => void,
  ): Promise<InvalidationSubscription> {
    const subscriber: Subscriber = { handler, onResubscribe };
    this.subscribers.add(subscriber);
    onResubscribe();
    return { close: async () => void this.subscribers.delete(subscriber) };
  }

  /** Simulates a lost link coming back: every subscriber re-subscribes (tests). */
  resubscribeAll(): void {
    for (const s of this.subscribers) s.onResubscribe();
  }
}
