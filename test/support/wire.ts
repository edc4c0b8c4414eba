/** Over-the-wire helpers of the end-to-end tests: extra relying-party certificates, sidecar scrapes, polling. */
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { createLeaf } from "../../src/config/dev-certificates.js";
import type { TestApp } from "./app-harness.js";

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

/** Polls `check` until it returns true, or throws after `timeoutMs` (generous deadlines: not a timing assertion). */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An HTTP answer read whole. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** GET /.well-known/jwks.json on the sidecar (plain HTTP) or the browser port (TLS, the dev CA). */
export async function getJwksOverHttp(t: TestApp, listener: "sidecar" | "browser", headers: Record<string, string> = {}): Promise<HttpAnswer> {
  if (listener === "sidecar") {
    const res = await fetch(`http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`, { headers });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  }
  const ca = readFileSync(t.material.caCertFile);
  const options = { host: "127.0.0.1", servername: "localhost", port: t.app.server.browserPort, path: "/.well-known/jwks.json", ca, headers };
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
