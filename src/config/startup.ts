/** The process's config entry point: environment + `.env`, development material when in development, loadConfig. */
import { join } from "node:path";
import { readDotEnv, withDotEnv, type Environment } from "./env-file.js";
import { DEFAULT_DEV_DIR, DEFAULT_TRUST_DOMAIN, loadConfig } from "./load.js";
import { isTrustDomain } from "./peer-rules.js";
import { projectRoot } from "./project-root.js";
import { resolvePath } from "./secrets-section.js";
import type { Config } from "./types.js";

export interface StartupConfigOptions {
  /** The real environment (default process.env); it always wins over `.env`. */
  readonly env?: Environment;
  /** Project root: where `.env` is read and relative paths resolve (default: found from this module). */
  readonly baseDir?: string;
  /** Receives one line per generated development file (paths only). */
  readonly log?: (message: string) => void;
}

/**
 * Loads the config the process runs with. In development (APP_ENV=development) it first generates missing
 * material under DEV_DIR and fills every unset TLS file, key file and admin API key from it, so a fresh clone
 * starts with no environment at all. Throws ConfigError listing every problem.
 */
export async function loadStartupConfig(options: StartupConfigOptions = {}): Promise<Config> {
  const baseDir = options.baseDir ?? projectRoot();
  const env = withDotEnv(options.env ?? process.env, readDotEnv(join(baseDir, ".env")));
  if (env["APP_ENV"]?.trim() !== "development") return loadConfig(env, { baseDir });

  const devDir = resolvePath(baseDir, env["DEV_DIR"]?.trim() || DEFAULT_DEV_DIR);
  const configured = env["SPIFFE_TRUST_DOMAIN"]?.trim() ?? "";
  const trustDomain = isTrustDomain(configured) ? configured : DEFAULT_TRUST_DOMAIN;
  const { prepareDevelopmentMaterial } = await import("./dev-material.js");
  const devMaterial = await prepareDevelopmentMaterial(devDir, options.log ?? (() => undefined), { trustDomain });
  return loadConfig(env, { baseDir, devMaterial });
}
