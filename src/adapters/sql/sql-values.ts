/** Converting driver values (int8 strings, Dates, bytea) to domain values, and recognising SQL errors. */

/** int8/int4 as returned by pg (string) or PGlite (string with our parser, number for int4). */
export function toSafeInt(value: unknown): number {
  const n = typeof value === "string" ? Number(value) : typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw new TypeError("expected a safe integer from the database");
  return n;
}

/** timestamptz (Date from both drivers) as epoch milliseconds. */
export function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string") {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new TypeError("expected a timestamp from the database");
}

export function toOptionalMs(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : toMs(value);
}

/** Epoch milliseconds as a timestamptz parameter. */
export function ts(ms: number): string {
  return new Date(ms).toISOString();
}

export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("expected bytea from the database");
}

export function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

/** A unique_violation (SQLSTATE 23505), optionally of one named constraint/index. */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  if (typeof e !== "object" || e === null) return false;
  const err = e as { code?: unknown; constraint?: unknown };
  return err.code === "23505" && (constraint === undefined || err.constraint === constraint);
}

/** A foreign_key_violation (SQLSTATE 23503), optionally of one named constraint. */
export function isForeignKeyViolation(e: unknown, constraint?: string): boolean {
  if (typeof e !== "object" || e === null) return false;
  const err = e as { code?: unknown; constraint?: unknown };
  return err.code === "23503" && (constraint === undefined || err.constraint === constraint);
}
