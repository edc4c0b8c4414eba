/** Bounds every input must meet before it reaches storage: times Postgres can hold, text without NUL. */
import { invalidField } from "./errors.js";

/** 9999-12-31T23:59:59.999Z: the last instant a timestamp field may name. */
export const MAX_TIME_MS = 253_402_300_799_999;

/** Milliseconds since the epoch within 1970..9999, or invalid_argument naming `field`. */
export function requireTimeMs(code: string, field: string, ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME_MS) throw invalidField(code, field, "must be a time between 1970 and 9999");
  return ms;
}

/** Text of at most `max` characters with no NUL (Postgres text cannot hold it), or invalid_argument naming `field`. */
export function requireText(code: string, field: string, value: string, max: number): string {
  if (value.length > max) throw invalidField(code, field, `must be at most ${max} characters`);
  if (value.includes("\u0000")) throw invalidField(code, field, "must not contain NUL characters");
  return value;
}
