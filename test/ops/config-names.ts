/** The variable names the config loader reads and the ones .env.example documents, for the infra consistency tests. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./support.js";

/** Every variable name the config loader mentions: upper-case string literals in src/config/*.ts. */
export function configVariableNames(): Set<string> {
  const names = new Set<string>();
  const dir = join(REPO_ROOT, "src", "config");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    for (const m of readFileSync(join(dir, file), "utf8").matchAll(/"([A-Z][A-Z0-9_]{2,})"/g)) names.add(m[1]!);
  }
  return names;
}

/** Variables documented in .env.example, as "NAME=" or "# NAME=" at the start of a line. */
export function envExampleNames(): Set<string> {
  const text = readFileSync(join(REPO_ROOT, ".env.example"), "utf8");
  return new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
}
