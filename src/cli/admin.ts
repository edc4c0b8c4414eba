#!/usr/bin/env node
/** `npm run admin -- <group> <command> ...` (or the `agent-identity-admin` bin): the admin CLI's process entry. */
import { join } from "node:path";
import { readDotEnv, withDotEnv } from "../config/env-file.js";
import { runAdmin } from "./admin/run.js";

function write(stream: NodeJS.WriteStream): (line: string) => void {
  return (line) => void stream.write(`${line}\n`);
}

const cwd = process.cwd();
let env = process.env;
try {
  env = withDotEnv(process.env, readDotEnv(join(cwd, ".env")));
} catch (e) {
  process.stderr.write(`admin: ignoring ${join(cwd, ".env")}: ${e instanceof Error ? e.message : String(e)}\n`);
}
const code = await runAdmin(process.argv.slice(2), { out: write(process.stdout), err: write(process.stderr) }, env, cwd);
// Open HTTP/2 sessions would keep the process alive until they idle out: exit once the output is flushed.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
