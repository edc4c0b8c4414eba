/** Files the admin CLI reads: paths relative to the working directory, read errors as one local-problem line. */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { CommandContext } from "./command.js";
import { localError } from "./failures.js";

export function absolutePath(ctx: CommandContext, path: string): string {
  return isAbsolute(path) ? path : resolve(ctx.cwd, path);
}

export function readTextFile(ctx: CommandContext, path: string, what: string): string {
  try {
    return readFileSync(absolutePath(ctx, path), "utf8");
  } catch (e) {
    const reason = e instanceof Error && "code" in e ? String(e.code) : "unreadable";
    throw localError(`cannot read the ${what} ${path} (${reason})`);
  }
}

