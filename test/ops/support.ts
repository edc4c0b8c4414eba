/** Ops test helpers: run a CLI of this repository as a child process and collect its output. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TSX = join(REPO_ROOT, "node_modules", ".bin", "tsx");
/** The production entry point `npm run start:prod` runs. */
export const MAIN = join(REPO_ROOT, "dist", "src", "main.js");

/** Newest modification time of the .ts files under a directory. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts") || entry.name.endsWith(".sql")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ with `npm run build` when it is missing or older than the sources. */
export function ensureBuild(): void {
  const sources = Math.max(newestSource(join(REPO_ROOT, "src")), newestSource(join(REPO_ROOT, "gen")));
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= sources) return;
  const build = spawnSync("npm", ["run", "-s", "build"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 300_000 });
  if (build.status !== 0 || !existsSync(MAIN)) {
    throw new Error(`npm run build failed (exit ${build.status}); dist/src/main.js is needed:\n${build.stdout}${build.stderr}`);
  }
}



export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command args` in the repository root with `env` (merged over a minimal PATH/HOME), collects output. */
export function runChild(command: string, args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 120_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The pilot smoke's environment for a service whose material (dev layout) and mTLS port are known. */
export function pilotEnv(material: {
  caCertFile: string;
  adminApiKeyFile: string;
  clients: Record<"admin" | "relyingParty" | "agent", { certFile: string; keyFile: string }>;
}, grpcPort: number, expectedRateLimit: number): Record<string, string> {
  return {
    PILOT_ADDR: `https://localhost:${grpcPort}`,
    PILOT_CA_FILE: material.caCertFile,
    PILOT_ADMIN_CERT_FILE: material.clients.admin.certFile,
    PILOT_ADMIN_KEY_FILE: material.clients.admin.keyFile,
    PILOT_RP_CERT_FILE: material.clients.relyingParty.certFile,
    PILOT_RP_KEY_FILE: material.clients.relyingParty.keyFile,
    PILOT_AGENT_CERT_FILE: material.clients.agent.certFile,
    PILOT_AGENT_KEY_FILE: material.clients.agent.keyFile,
    PILOT_ADMIN_API_KEY_FILE: material.adminApiKeyFile,
    PILOT_RATE_LIMIT: String(expectedRateLimit),
  };
}

/** Parses the smoke's stdout (one JSON object, possibly pretty-printed). */
export function parseReport(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}
