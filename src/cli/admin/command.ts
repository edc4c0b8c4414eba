/** What an admin CLI command is: its usage line, its own flags and a run function over a shared context. */
import type { Environment } from "../../config/env-file.js";
import type { Args, OptionSpecs } from "./args.js";
import type { Io, OutputMode } from "./output.js";
import type { AdminSession } from "./session.js";

export interface CommandContext {
  readonly args: Args;
  readonly io: Io;
  readonly mode: OutputMode;
  readonly env: Environment;
  /** Directory relative paths (files, certs/dev) are resolved against. */
  readonly cwd: string;
  /** The connection, opened on first use (commands that work offline never open one). */
  session(): AdminSession;
}

export interface CommandSpec {
  /** Flags and positionals after "<group> <command>", e.g. "--name NAME [--tier TIER]". */
  readonly usage: string;
  readonly summary: string;
  readonly options?: OptionSpecs;
  /** Resolves to the exit code (0 when nothing else is said). */
  run(ctx: CommandContext): Promise<number | void>;
}

export interface CommandGroup {
  readonly summary: string;
  readonly commands: Readonly<Record<string, CommandSpec>>;
}
