/** Runs the admin CLI against a test app: in-process (runAdmin) or as a real `npm run admin` process. */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { runAdmin } from "../../src/cli/admin/run.js";
import { AgentIdentityClient } from "../../src/client/agent.js";
import { projectRoot } from "../../src/config/project-root.js";
import type { TestApp } from "../support/app-harness.js";

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The environment that points the CLI at `t` (its address and its development material). */
export function cliEnv(t: TestApp): Record<string, string> {
  return { AGENT_IDENTITY_ADDR: t.baseUrl, AGENT_IDENTITY_DEV_DIR: t.material.dir };
}

/** Runs one command line in-process with `cwd` as the working directory; collects stdout and stderr. */
export function cli(t: TestApp, cwd: string, extraEnv: Record<string, string> = {}) {
  return async (...argv: string[]): Promise<CliRun> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdmin(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, { ...cliEnv(t), ...extraEnv }, cwd);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
}

/** Parses the stdout of a successful --json run (fails the test with the stderr line otherwise). */
export function parsed<T = Record<string, unknown>>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.err}`);
  return JSON.parse(run.out) as T;
}

/** `npm run -s admin -- ...` as a separate process, with a clean admin environment plus `env`. */
export function npmRunAdmin(argv: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith("AGENT_IDENTITY_") || k.startsWith("ADMIN_API_KEY")) delete base[k];
  return new Promise((resolve) => {
    execFile("npm", ["run", "-s", "admin", "--", ...argv], { cwd: projectRoot(), env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

/** What an agent hands its admin: a new key (private file kept by the agent), its public JWK file and a possession proof file. */
export async function agentKeyFiles(t: TestApp, dir: string, name: string, orgId: string): Promise<{ privateFile: string; publicFile: string; proofFile: string; key: AgentIdentityClient }> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const key = await AgentIdentityClient.fromJwk(jwk);
  const files = { privateFile: join(dir, `${name}.jwk.json`), publicFile: join(dir, `${name}.pub.json`), proofFile: join(dir, `${name}.pop`) };
  writeFileSync(files.privateFile, JSON.stringify(jwk), { mode: 0o600 });
  writeFileSync(files.publicFile, JSON.stringify(key.publicJwk));
  writeFileSync(files.proofFile, await key.makePossessionProof({ op: "agent.register", audience: t.config.issuer.issuerUrl, orgId }));
  return { ...files, key };
}
