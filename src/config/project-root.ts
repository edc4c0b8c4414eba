/** Finds the project root (the nearest directory above this module holding package.json), for `.env` and paths. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/** The directory of the project's package.json, whether running from src/ (tsx) or dist/src/ (built). */
export function projectRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error("project root not found (no package.json above src/config)");
    dir = parent;
  }
}
