/** Typed reads of environment variables that record a problem (naming the variable) instead of throwing. */
import type { ConfigProblem } from "./errors.js";
import type { Environment } from "./env-file.js";

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Reads variables from one environment and collects every problem. An empty or blank value counts as unset,
 * so `FOO=` in a `.env` file means "use the default". Messages never echo a value (it may be a secret).
 */
export class EnvReader {
  readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Environment) {}

  problem(variable: string, message: string): void {
    this.problems.push({ variable, message });
  }

  /** The trimmed value, or undefined when unset or blank. */
  string(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined) return undefined;
    const value = raw.trim();
    return value === "" ? undefined : value;
  }

  isSet(name: string): boolean {
    return this.string(name) !== undefined;
  }

  /** A whole decimal number within the range; the default when unset. */
  integer(name: string, fallback: number, range: IntegerRange): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) {
      this.problem(name, `must be a whole number between ${range.min} and ${range.max}`);
      return fallback;
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
      this.problem(name, `must be between ${range.min} and ${range.max}`);
      return fallback;
    }
    return n;
  }

  /** A TCP port, 0..65535 (0 lets the system pick). */
  port(name: string, fallback: number): number {
    return this.integer(name, fallback, { min: 0, max: 65535 });
  }

  /** true/false, 1/0, yes/no, on/off (any case). */
  boolean(name: string, fallback: boolean): boolean {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (["true", "1", "yes", "on"].includes(lower)) return true;
    if (["false", "0", "no", "off"].includes(lower)) return false;
    this.problem(name, "must be true or false");
    return fallback;
  }

  /** One of the allowed words. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problem(name, `must be one of ${allowed.join(", ")}`);
    return fallback;
  }

  /** An absolute URL whose scheme is one of `protocols` (e.g. ["https:"]); undefined when unset or invalid. */
  url(name: string, protocols: readonly string[]): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    return this.checkUrl(name, value, protocols) ? value : undefined;
  }

  /** Checks a URL value given from elsewhere; records the problem and returns false when wrong. */
  checkUrl(name: string, value: string, protocols: readonly string[]): boolean {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problem(name, `must be a URL (${protocols.map((p) => `${p}//`).join(" or ")}...)`);
      return false;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problem(name, `must use ${protocols.map((p) => p.slice(0, -1)).join(" or ")}`);
      return false;
    }
    return true;
  }

  /** A comma-separated list of non-empty items (surrounding spaces trimmed); [] when unset. */
  list(name: string): string[] {
    const value = this.string(name);
    if (value === undefined) return [];
    const items = value.split(",").map((s) => s.trim());
    if (items.some((s) => s === "")) {
      this.problem(name, "has an empty item in its comma-separated list");
      return items.filter((s) => s !== "");
    }
    return items;
  }
}
