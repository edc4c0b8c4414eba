/** Ops test helpers: run a CLI of this repository as a child process and collect its output. */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TSX = join(REPO_ROOT, "node_modules", ".bin", "tsx");

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
