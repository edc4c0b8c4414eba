/** When to replace a worker that exited: at once after a long run, with doubling back-off while it keeps crashing. */

/** A worker that ran at least this long before exiting counts as having worked: its replacement starts at once. */
export const STABLE_RUN_MS = 10_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 30_000;

/** Consecutive quick exits of one worker slot, and the delay before its next start. */
export class RestartPolicy {
  private quickExits = 0;

  /** Records an exit after `ranMs` and returns how long to wait before starting the replacement. */
  exited(ranMs: number): number {
    this.quickExits = ranMs >= STABLE_RUN_MS ? 0 : this.quickExits + 1;
    return restartDelayMs(this.quickExits);
  }
}

/** 0 after a stable run; then 250 ms, 500 ms, 1 s, ... up to 30 s for a worker that keeps crashing. */
export function restartDelayMs(quickExits: number): number {
  if (quickExits <= 0) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (quickExits - 1));
}
