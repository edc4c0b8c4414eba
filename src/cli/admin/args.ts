/** Admin CLI argument parsing: node:util parseArgs (strict) behind a small typed reader that reports usage errors. */
import { parseArgs } from "node:util";
import { usageError } from "./failures.js";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Flags every command accepts (connection, output). */
export const GLOBAL_OPTIONS: OptionSpecs = {
  addr: { type: "string" },
  "dev-dir": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "server-name": { type: "string" },
  protocol: { type: "string" },
  "timeout-ms": { type: "string" },
  "api-key-file": { type: "string" },
  "issuer-url": { type: "string" },
  "token-org": { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
};

/** Parsed flags and positionals of one command. */
export class Args {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>,
    readonly positionals: readonly string[],
  ) {}

  string(name: string): string | undefined {
    const v = this.values[name];
    if (typeof v !== "string") return undefined;
    return v.trim() === "" ? undefined : v;
  }

  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw usageError(`--${name} is required`);
    return v;
  }

  list(name: string): string[] {
    const v = this.values[name];
    if (!Array.isArray(v)) return [];
    return v.filter((x): x is string => typeof x === "string");
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A whole number in min..max, or undefined when absent. */
  integer(name: string, min: number, max: number): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usageError(`--${name} must be a whole number ${min}..${max}`);
    return Number(v);
  }

  /** The single positional argument named `what` (e.g. "agent id"). */
  positional(what: string): string {
    if (this.positionals.length === 0) throw usageError(`missing ${what}`);
    if (this.positionals.length > 1) throw usageError(`unexpected argument ${JSON.stringify(this.positionals[1])}`);
    return this.positionals[0]!;
  }

  noPositionals(): void {
    if (this.positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(this.positionals[0])}`);
  }
}

/** Parses `argv` against the global flags plus `options`; unknown flags and missing values are usage errors. */
export function parseCommandArgs(argv: readonly string[], options: OptionSpecs = {}): Args {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...options },
      strict: true,
      allowPositionals: true,
    });
    return new Args(values, positionals);
  } catch (e) {
    // node's message goes on about positionals after "--"; the first sentence names the problem.
    throw usageError(e instanceof Error ? e.message.split(/\n|\. To specify/)[0]! : String(e));
  }
}
