/** ConfigError: every configuration problem found at start, each naming its environment variable. */

/** One problem with one variable; `message` never contains the variable's value when it may be secret. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** Thrown once by loadConfig with the complete list of problems, so an operator fixes them in one pass. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n"),
    );
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}
