/** The real process (src/main.ts through tsx) as a cluster of WORKERS: spawned, its log lines read, clients over fresh connections. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import { projectRoot } from "../../src/config/project-root.js";
import { bearer, type AdminClients, type Identity, type ServiceUnderTest } from "./service-under-test.js";

export type LogLine = Readonly<Record<string, unknown>>;

export interface ClusterProcess extends ServiceUnderTest {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly sidecarPort: number;
  /** Every JSON log line so far (primary and workers share stdout). */
  readonly lines: LogLine[];
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a log line matching `match` (already written or to come). */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGKILL when still running. */
  kill(): Promise<void>;
}

/** Spawns `node --import tsx src/main.ts` with `env` (no wrapper process: signals reach the primary itself). */
export async function startClusterProcess(material: DevMaterial, env: Record<string, string>): Promise<ClusterProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: projectRoot(), env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  let buffer = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        continue;
      }
      for (const w of [...waiters]) w();
    }
  });
  const waitForLine = (match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(match);
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no such log line within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      void exited.then(({ code }) => {
        if (!waiters.has(check)) return;
        cleanup();
        reject(new Error(`the service exited (${code}): ${stderr}`));
      });
      check();
    });
  const listening = await waitForLine((l) => l.msg === "agent identity service listening", 60_000);
  const grpcPort = listening.grpcPort as number;
  const ca = readFileSync(material.caCertFile);
  // A new transport per client: a new connection, which node:cluster hands to the workers in turn.
  const transport = (identity: Identity, interceptors: Interceptor[] = []) => {
    const c = material.clients[identity];
    return createGrpcTransport({ baseUrl: `https://localhost:${grpcPort}`, interceptors, nodeOptions: { ca, cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) } });
  };
  const adminApiKey = readFileSync(material.adminApiKeyFile, "utf8").trim();
  return {
    child,
    grpcPort,
    sidecarPort: listening.sidecarPort as number,
    lines,
    exited,
    waitForLine,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    config: loadConfig(env, { devMaterial: material }),
    material,
    adminApiKey,
    client: (service, identity, interceptors) => createClient(service, transport(identity, interceptors)),
    async adminClients(): Promise<AdminClients> {
      const res = await createClient(AdminService, transport("admin")).exchangeToken({}, { headers: { "x-admin-api-key": adminApiKey } });
      return {
        admin: createClient(AdminService, transport("admin", [bearer(res.accessToken)])),
        registry: createClient(AgentRegistryService, transport("admin", [bearer(res.accessToken)])),
        token: res.accessToken,
      };
    },
    verifier: () => createClient(VerifierService, transport("relyingParty")),
  };
}
