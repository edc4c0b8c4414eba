/** `.env` reading: parsed with node's own parser, merged under the real environment (which always wins). */
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads a dotenv file. A missing file yields an empty record; any other read error is thrown.
 * Syntax is node's (`util.parseEnv`, the parser behind `--env-file`): `KEY=value`, `#` comments, quotes.
 */
export function readDotEnv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new Error(`cannot read ${path}`, { cause: e });
  }
  const parsed = parseEnv(text) as Record<string, string | undefined>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (value !== undefined) out[key] = value;
  return out;
}

/** The dotenv values overlaid by the real environment: a variable set in the process is never overridden. */
export function withDotEnv(env: Environment, dotEnv: Readonly<Record<string, string>>): Environment {
  const merged: Record<string, string | undefined> = { ...dotEnv };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return merged;
}
