// The protocol fuzzer: seeded random and mutated requests to every unary and server-streaming RPC over gRPC,
// gRPC-Web and Connect (proto and JSON), counting outcomes by code; failures are INTERNAL, UNKNOWN, HTTP 5xx
// and hangs, and a refused request that changed the audit log (state).
import { readFileSync } from "node:fs";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ClientHttp2Session } from "node:http2";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import type { Identity, TestApp } from "../support/app-harness.js";
import { mutateBytes, randomRequest } from "./messages.js";
import { Prng } from "./prng.js";
import { frame, openSession, send, type Protocol } from "./wire.js";

const SERVICES: readonly DescService[] = [AdminService, AgentRegistryService, VerifierService, Health, ServerReflection];
const PROTOCOLS: readonly Protocol[] = ["grpc", "grpc-web", "connect-proto", "connect-json"];
const FAILURE = /^(internal|unknown|hang|http_5\d\d.*|grpc_\d+|stream_error.*)$/;

export interface FuzzReport {
  readonly seed: number;
  requests: number;
  readonly byCode: Record<string, number>;
  readonly byProtocol: Record<string, Record<string, number>>;
  /** Up to 20 failing requests: index (reproduce with the same seed), method, protocol, code. */
  readonly failures: { index: number; method: string; protocol: Protocol; code: string; body: string }[];
  /** Refused requests after which the newest audit event changed. */
  readonly stateChanges: { index: number; method: string; protocol: Protocol; code: string; action: string }[];
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
}

/** Every RPC a request that ends can exercise (the endless health Watch is left out); reflection included. */
function targets(): DescMethod[] {
  return SERVICES.flatMap((s) => s.methods).filter((m) => m.name !== "Watch");
}

function hostileHeaders(prng: Prng, protocol: Protocol): Record<string, string> {
  const h: Record<string, string> = {};
  if (!prng.chance(0.25)) return h;
  if (protocol === "grpc" || protocol === "grpc-web") {
    if (prng.chance(0.5)) h["grpc-encoding"] = prng.pick(["gzip", "br", "identity", "x-none"]);
    if (prng.chance(0.3)) h["grpc-timeout"] = prng.pick(["1n", "99999999H", "abc", "5S"]);
  } else {
    if (prng.chance(0.5)) h["content-encoding"] = prng.pick(["gzip", "br", "x-none"]);
    if (prng.chance(0.3)) h["connect-timeout-ms"] = prng.pick(["0", "-1", "abc", "99999999999"]);
    if (prng.chance(0.2)) h["connect-protocol-version"] = prng.pick(["1", "2", ""]);
  }
  if (prng.chance(0.2)) h["authorization"] = prng.pick(["Bearer", "Bearer a.b.c", "Basic x", `Bearer ${"x".repeat(9000)}`]);
  return h;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly requests: number;
  readonly timeoutMs: number;
  /** Valid tokens to mutate (credentials, proofs). */
  readonly tokens: readonly string[];
  /** Real ids (org, agent, decision) so requests reach past the lookups. */
  readonly strings: readonly string[];
  readonly adminToken: string;
  /** The newest audit event's id and action, read through the admin API. */
  readonly newestAudit: () => Promise<{ id: string; action: string }>;
}

export async function runFuzz(t: TestApp, options: FuzzOptions): Promise<FuzzReport> {
  const prng = new Prng(options.seed);
  const ca = readFileSync(t.material.caCertFile);
  const sessions = new Map<Identity, ClientHttp2Session & { usable: boolean }>();
  const session = (identity: Identity): ClientHttp2Session => {
    let s = sessions.get(identity);
    if (s === undefined || !s.usable || s.closed || s.destroyed) {
      s?.destroy();
      const c = t.material.clients[identity];
      s = openSession(t.baseUrl, { ca, cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) });
      sessions.set(identity, s);
    }
    return s;
  };
  const methods = targets();
  const report: FuzzReport = { seed: options.seed, requests: 0, byCode: {}, byProtocol: {}, failures: [], stateChanges: [], rssBeforeMiB: rssMiB(), rssAfterMiB: 0 };
  try {
    let newest = await options.newestAudit();
    for (let i = 0; i < options.requests; i++) {
      const method = prng.pick(methods);
      // Streams over the enveloped protocols only (Connect unary carries one message); bidi streams over gRPC, with
      // one to three messages and then the end of the request stream.
      const protocol =
        method.methodKind === "unary" ? prng.pick(PROTOCOLS) : method.methodKind === "bidi_streaming" ? "grpc" : prng.pick(["grpc", "grpc-web"] as const);
      const identity = prng.pick(["admin", "admin", "relyingParty", "agent"] as const);
      const { binary, json } = randomRequest(prng, method.input, { tokens: options.tokens, strings: options.strings });
      const hostile = prng.chance(0.4);
      let body: Uint8Array;
      if (protocol === "connect-json") body = Buffer.from(json !== undefined && !(hostile && prng.chance(0.5)) ? json : mutateJson(prng, json ?? "{}"));
      else {
        const payload = hostile && prng.chance(0.5) ? mutateBytes(prng, binary) : prng.chance(0.02) ? prng.bytes(1_100_000) : binary;
        body = protocol === "connect-proto" ? payload : frame(prng, payload, hostile);
        if (method.methodKind === "bidi_streaming") {
          for (let extra = prng.int(3); extra > 0; extra--) {
            const more = randomRequest(prng, method.input, { tokens: options.tokens, strings: options.strings }).binary;
            body = Buffer.concat([body, frame(prng, more, hostile)]);
          }
        }
      }
      const headers = { ...(identity === "admin" && prng.chance(0.8) ? { authorization: `Bearer ${options.adminToken}` } : {}), ...hostileHeaders(prng, protocol) };
      const path = `/${method.parent.typeName}/${method.name}`;
      const sent = await send(session(identity), { path, protocol, body, headers }, options.timeoutMs);
      report.requests++;
      report.byCode[sent.code] = (report.byCode[sent.code] ?? 0) + 1;
      const perProtocol = (report.byProtocol[protocol] ??= {});
      perProtocol[sent.code] = (perProtocol[sent.code] ?? 0) + 1;
      if (FAILURE.test(sent.code) && report.failures.length < 20) report.failures.push({ index: i, method: path, protocol, code: sent.code, body: Buffer.from(body.subarray(0, 300)).toString(protocol === "connect-json" ? "utf8" : "base64") });
      const after = await options.newestAudit();
      // A definite refusal must leave no trace; a transport reset (the server's flood protection) is no answer.
      if (sent.code !== "ok" && sent.code !== "enhance_your_calm" && after.id !== newest.id && !after.action.startsWith("admin.")) {
        report.stateChanges.push({ index: i, method: path, protocol, code: sent.code, action: after.action });
      }
      newest = after;
    }
  } finally {
    for (const s of sessions.values()) s.destroy();
  }
  return { ...report, rssAfterMiB: rssMiB() };
}

function mutateJson(prng: Prng, json: string): string {
  const shapes = [
    () => json.slice(0, prng.int(json.length + 1)),
    () => `${json}${json}`,
    () => json.replace(/"[^"]*"/, '"\\u0000"'),
    () => json.replace(/\d+/, "1e999"),
    () => json.replace(/"/, "'"),
    () => "[]",
    () => "null",
    () => `{"${"k".repeat(2000)}":1}`,
    () => '{"pageSize": "12", "pageToken": 5}',
    () => '{"startTime": "10000-01-01T00:00:00Z"}',
  ];
  return prng.pick(shapes)();
}

function rssMiB(): number {
  return Math.round(process.memoryUsage().rss / 1048576);
}
