/** The real process (src/main.ts, development mode, embedded stores): SIGTERM -> NOT_SERVING, calls in flight complete, new calls refused, exit 0. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { devMaterialPaths, type DevClientCertificate } from "../../src/config/dev-material.js";
import { projectRoot } from "../../src/config/project-root.js";

interface Ports {
  readonly grpcPort: number;
  readonly sidecarPort: number;
}

/** Environment for the child: ours, minus anything that would point it at shared Postgres/Redis or real material. */
function childEnv(devDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(DATABASE_URL|REDIS_URL|REDIS_KEY_PREFIX|TLS_|ADMIN_|ISSUER_|KMS_|AWS_|PEER_ROLES|RELYING_PARTY_)/.test(k)) env[k] = v;
  }
  return {
    ...env,
    APP_ENV: "development",
    HOST: "127.0.0.1",
    GRPC_PORT: "0",
    BROWSER_PORT: "0",
    SIDECAR_PORT: "0",
    PGLITE_DATA_DIR: "memory://",
    DEV_DIR: devDir,
    LOG_LEVEL: "info",
  };
}

describe("graceful shutdown of the real process (npm start's entry point)", () => {
  let dir: string;
  let child: ChildProcess;
  let logLines: Record<string, unknown>[] = [];
  let ports: Ports;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aid-shutdown-"));
    // node --import tsx: one process (no npx/tsx wrapper in between), so the signal reaches main.ts itself.
    child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: projectRoot(),
      env: childEnv(join(dir, "dev")),
      stdio: ["ignore", "pipe", "pipe"],
    });
    exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    ports = await new Promise<Ports>((resolve, reject) => {
      let buffer = "";
      child.stdout!.on("data", (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue;
          }
          logLines.push(parsed);
          if (parsed.msg === "agent identity service listening") {
            resolve({ grpcPort: parsed.grpcPort as number, sidecarPort: parsed.sidecarPort as number });
          }
        }
      });
      void exited.then(({ code }) => reject(new Error(`the service exited (${code}) before listening: ${stderr}`)));
    });
    // Ready (every dependency check passed) before the test starts.
    for (let i = 0; ; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.sidecarPort}/readyz`).catch(() => undefined);
      if (res?.status === 200) break;
      if (i > 200) throw new Error("the service never became ready");
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    logLines = [];
  });

  it("on SIGTERM: Watch sees NOT_SERVING and ends, an export in flight completes, new calls are refused, the process exits 0", async () => {
    const material = devMaterialPaths(join(dir, "dev"));
    const transport = (cert: DevClientCertificate) =>
      createGrpcTransport({
        baseUrl: `https://localhost:${ports.grpcPort}`,
        nodeOptions: { ca: readFileSync(material.caCertFile), cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
      });
    const health = createClient(Health, transport(material.clients.agent));
    const verifier = createClient(VerifierService, transport(material.clients.relyingParty));
    const admin = createClient(AdminService, transport(material.clients.admin));

    // The service works: a token exchange with the generated admin key and a JWKS read.
    const apiKey = readFileSync(material.adminApiKeyFile, "utf8").trim();
    expect((await admin.exchangeToken({}, { headers: { "x-admin-api-key": apiKey } })).accessToken).toMatch(/^ey/);
    expect(JSON.parse((await verifier.getJwks({})).jwksJson).keys.length).toBeGreaterThan(0);

    // Enough audit events that an export does not fit in the HTTP/2 flow-control window (~150 KB).
    const { accessToken } = await admin.exchangeToken({}, { headers: { "x-admin-api-key": apiKey } });
    const authed = createClient(AdminService, transport(material.clients.admin));
    const auth = { headers: { authorization: `Bearer ${accessToken}` } };
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(Array.from({ length: 25 }, (_, i) => authed.createOrg({ name: `Org ${batch}-${i}` }, auth)));
    }

    // Two calls in flight when SIGTERM arrives: Health.Watch and an ExportAudit stream read only to its first event.
    const watch = health.watch({ service: "" })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(Status.SERVING);
    const exportStream = authed.exportAudit({}, auth)[Symbol.asyncIterator]();
    const first = await exportStream.next();
    expect(first.value?.item.case).toBe("header");
    const header = first.value!.item.case === "header" ? first.value!.item.value : undefined;
    expect((await exportStream.next()).value?.item.case).toBe("event");

    expect(child.kill("SIGTERM")).toBe(true);
    const drainWatch = (async () => {
      const statuses: Status[] = [];
      for (;;) {
        const next = await watch.next();
        if (next.done) return statuses;
        statuses.push(next.value.status);
      }
    })();
    const drainExport = (async () => {
      let events = 1;
      for (;;) {
        const next = await exportStream.next();
        if (next.done) return events;
        if (next.value.item.case === "event") events++;
      }
    })();
    const [statuses, exportedEvents] = await Promise.all([drainWatch, drainExport]);
    // The Watch stream ended cleanly (no error) after announcing NOT_SERVING.
    expect(statuses.at(-1)).toBe(Status.NOT_SERVING);
    // The export in flight completed: every event of its range arrived.
    expect(exportedEvents).toBe(Number(header!.endSeq - header!.startSeq) + 1);
    expect(exportedEvents).toBeGreaterThan(200);

    // New work is refused (a fresh connection; the listener is closed or closing).
    const fresh = createClient(VerifierService, transport(material.clients.relyingParty));
    const refused = await fresh.getJwks({}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ConnectError);

    const { code, signal } = await exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    const messages = logLines.map((l) => l.msg);
    expect(messages).toContain("shutting down");
    expect(messages).toContain("stopped");
  }, 30_000);
});
