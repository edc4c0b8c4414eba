/** Admin CLI output: aligned tables and key/value blocks for people, one JSON document for scripts, ids for shells. */

export interface Io {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr (progress, notices, the error line). */
  err(line: string): void;
}

export type OutputMode = "table" | "json" | "quiet";

export type Cell = string | number | bigint | boolean | undefined;

function text(c: Cell): string {
  if (c === undefined || c === "") return "-";
  return String(c).replace(/\s+/g, " ");
}

/** Columns aligned with two spaces; an empty table prints its header and "(none)". */
export function table(io: Io, headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  const cells = rows.map((r) => r.map(text));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  io.out(line(headers.map((h) => h.toUpperCase())));
  for (const r of cells) io.out(line(r));
  if (rows.length === 0) io.out("(none)");
}

/** "key: value" lines, keys aligned. */
export function fields(io: Io, pairs: readonly (readonly [string, Cell])[]): void {
  const width = Math.max(...pairs.map(([k]) => k.length));
  for (const [k, v] of pairs) io.out(`${`${k}:`.padEnd(width + 1)} ${text(v)}`);
}

/** One JSON document on stdout (bigints as strings, like protobuf JSON). */
export function json(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
}

/** An RFC 3339 time from a protobuf Timestamp-like value, or undefined. */
export function time(ts: { seconds: bigint; nanos: number } | undefined): string | undefined {
  if (ts === undefined) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();
}
