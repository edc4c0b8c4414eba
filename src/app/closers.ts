/** What an open/create step of the composition root returns: its value and how to close it; and the close list. */
import type { Logger } from "../telemetry/logger.js";

/** A value a composition step made, with the step that releases it (a no-op for plain values). */
export interface Opened<T> {
  readonly value: T;
  close(): Promise<void> | void;
}

/** Closes what was opened, last opened first; used both on shutdown and when start-up fails half-way. */
export class Closers {
  private readonly fns: (() => Promise<void> | void)[] = [];

  /** Remembers how to close `opened` and returns its value. */
  keep<T>(opened: Opened<T>): T {
    this.fns.unshift(() => opened.close());
    return opened.value;
  }

  async closeAll(logger: Logger): Promise<void> {
    for (const fn of this.fns.splice(0)) {
      try {
        await fn();
      } catch (e) {
        logger.error({ err: e }, "shutdown step failed");
      }
    }
  }
}
