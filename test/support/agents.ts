/** E2E helpers for the Verify path: register agents with keys, extra relying parties, metrics scrapes, Redis chores. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { Redis } from "ioredis";
import { CapabilityManifestSchema, type CapabilityManifest } from "../../gen/agentidentity/v1/common_pb.js";
import type { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService, type VerifyRequest } from "../../gen/agentidentity/v1/verifier_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AgentIdentityClient } from "../../src/client/agent.js";
import { createLeaf } from "../../src/config/dev-certificates.js";
import type { Clock } from "../../src/domain/clock.js";
import type { TestApp } from "./app-harness.js";

/** The manifest most tests use: payments with a EUR limit of 100.00. */
export const PAYMENTS_MANIFEST: MessageInitShape<typeof CapabilityManifestSchema> = {
  scopes: ["payments:write", "payments:read"],
  operations: ["payment.create", "payment.refund"],
  amountLimits: [{ currency: "EUR", maxAmountMinor: 10_000n }],
};

export interface RegisteredAgent {
  readonly agentId: string;
  readonly orgId: string;
  readonly key: AgentIdentityClient;
  /** The credential RegisterAgent returned. */
  readonly credential: string;
}

/** A fresh agent key (ES256 by default) held by the agent-side helper, on `clock`. */
export async function newAgentKey(
  serviceAudience: string,
  options: { alg?: "ES256" | "EdDSA"; clock?: Clock; agentId?: string } = {},
): Promise<{ client: AgentIdentityClient; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair(options.alg ?? "ES256", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const client = await AgentIdentityClient.fromJwk(privateJwk, { serviceAudience, clock: options.clock, agentId: options.agentId });
  return { client, privateJwk };
}

/** Creates an org (unless given) and registers an agent with a fresh key through the admin registry client. */
export async function registerAgent(
  t: TestApp,
  options: {
    registry?: Client<typeof AgentRegistryService>;
    orgId?: string;
    clock?: Clock;
    alg?: "ES256" | "EdDSA";
    capabilities?: MessageInitShape<typeof CapabilityManifestSchema>;
  } = {},
): Promise<RegisteredAgent> {
  const clients = options.registry === undefined ? await t.adminClients() : undefined;
  const registry = options.registry ?? clients!.registry;
  let orgId = options.orgId;
  if (orgId === undefined) {
    const admin = clients?.admin ?? (await t.adminClients()).admin;
    const { org } = await admin.createOrg({ name: `org ${Math.random().toString(36).slice(2, 10)}` });
    orgId = org!.id;
  }
  const audience = t.config.issuer.issuerUrl;
  const { client: key } = await newAgentKey(audience, { alg: options.alg, clock: options.clock });
  const capabilities: CapabilityManifest = create(CapabilityManifestSchema, options.capabilities ?? PAYMENTS_MANIFEST);
  const res = await registry.registerAgent({
    orgId,
    displayName: "e2e agent",
    publicJwk: JSON.stringify(key.publicJwk),
    capabilities,
    possessionProof: await key.makePossessionProof({ op: "agent.register", audience, orgId }),
  });
  key.agentId = res.agent!.id;
  return { agentId: res.agent!.id, orgId, key, credential: res.credential!.token };
}

/** The request a proof signs: defaults to a 5.00 EUR payment. */
export interface PaymentRequest {
  readonly scope?: string;
  readonly operation?: string;
  readonly amountMinor?: bigint;
  readonly currency?: string;
}

function withDefaults(r: PaymentRequest): Required<PaymentRequest> {
  return {
    scope: r.scope ?? "payments:write",
    operation: r.operation ?? "payment.create",
    amountMinor: r.amountMinor ?? 500n,
    currency: r.currency ?? "EUR",
  };
}

/** A proof by `key` for `audience` over the request, bound to `presented` (credential or session token). */
export function proofFor(
  key: AgentIdentityClient,
  audience: string,
  presented: string,
  request: PaymentRequest = {},
  overrides: { jti?: string; iatSeconds?: number } = {},
): Promise<string> {
  const r = withDefaults(request);
  return key.makeProof({
    audience,
    scope: r.scope,
    op: r.operation,
    amountMinor: r.amountMinor,
    currency: r.currency,
    credentialOrSession: presented,
    ...overrides,
  });
}

/** A VerifyRequest presenting a credential (or a session token) with `proof` for the request. */
export function verifyRequest(
  presented: { credential: string } | { sessionToken: string },
  proof: string,
  request: PaymentRequest = {},
): MessageInitShape<typeof import("../../gen/agentidentity/v1/verifier_pb.js").VerifyRequestSchema> {
  const r = withDefaults(request);
  return {
    presented: "credential" in presented ? { case: "credential", value: presented.credential } : { case: "sessionToken", value: presented.sessionToken },
    proof,
    scope: r.scope,
    operation: r.operation,
    amountMinor: r.amountMinor,
    currency: r.currency,
  };
}
export type { VerifyRequest };

/** A second relying party: a client certificate under the app's dev CA with a SPIFFE ID under /rp/. */
export interface ExtraPeer {
  readonly identity: string;
  transport(): Transport;
  verifier(): Client<typeof VerifierService>;
  client<S extends Parameters<typeof createClient>[0]>(service: S): Client<S>;
}

export async function extraRelyingParty(t: TestApp, name: string): Promise<ExtraPeer> {
  const m = t.material;
  const ca = { certPem: readFileSync(m.caCertFile, "utf8"), keyPem: readFileSync(m.caKeyFile, "utf8") };
  const trustDomain = new URL(m.clients.relyingParty.identity).host;
  const identity = `spiffe://${trustDomain}/rp/${name}`;
  const leaf = await createLeaf(ca, { kind: "client", commonName: `rp-${name}`, spiffeId: identity }, Date.now());
  const certFile = join(m.dir, `rp-${name}.crt`);
  const keyFile = join(m.dir, `rp-${name}.key`);
  writeFileSync(certFile, leaf.certPem, { mode: 0o600 });
  writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
  const transport = (): Transport =>
    createGrpcTransport({ baseUrl: t.baseUrl, nodeOptions: { ca: ca.certPem, cert: leaf.certPem, key: leaf.keyPem } });
  return {
    identity,
    transport,
    verifier: () => createClient(VerifierService, transport()),
    client: (service) => createClient(service, transport()),
  };
}

/** The text of the app's sidecar /metrics. */
export async function scrapeMetrics(t: TestApp): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${t.app.server.sidecarPort}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The sidecar's /readyz status and body. */
export async function readyz(t: TestApp): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${t.app.server.sidecarPort}/readyz`);
  return { status: res.status, body: await res.text() };
}

/**
 * The value of the sample `name` whose labels include every given label (exactly one such sample must
 * exist), or 0 when none exists (a counter never incremented has no labelled sample).
 */
export function metricValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  const matches: number[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[l[1]!] = l[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) matches.push(Number(m[3]));
  }
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0] ?? 0;
}

/** A free loopback TCP port (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** True when a redis-server binary is on PATH; when CI=true a missing binary is an error, not a skip. */
export function redisServerAvailable(): boolean {
  const ok = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error("redis-server must be on PATH when CI=true");
  return ok;
}

/** A redis-server child process of this test on a loopback port, no persistence; stop and start it at will. */
export class LocalRedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<LocalRedisServer> {
    const server = new LocalRedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on the same port and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error("redis-server already running");
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--maxmemory-policy", "noeviction"],
      { stdio: "ignore" },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === "PONG") return;
      } catch {
        // not up yet
      } finally {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error("redis-server did not start within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the child (SIGKILL: like a crash) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** A short-lived client to this server (the caller disconnects it). */
  connect(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }
}

/** Polls `check` until it returns true, or throws after `timeoutMs` (generous deadlines: not a timing assertion). */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
