/**
 * The gRPC unary fast path answers exactly what Connect answers: the same raw HTTP/2 requests go to a server with
 * GRPC_FAST_PATH on and one with it off, and status, message, details, metadata and body must match.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetOrgRequestSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import { VerifyRequestSchema } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { createTestPki } from "../../support/tls.js";
import type { KeyPairPem, TestPki } from "../../support/tls.js";
import { GOOD_ADMIN_JWT, METHOD_NOT_IN_TABLE, startHarness, testConfig } from "./harness.js";
import type { Harness } from "./harness.js";

let pki: TestPki;
let fast: Harness;
let connectOnly: Harness;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  fast = await startHarness(pki);
  connectOnly = await startHarness(pki, { ...testConfig(pki), serving: { grpcFastPath: false } });
});

afterAll(async () => {
  for (const s of sessions) s.close();
  await Promise.all([fast.server.shutdown(1_000), connectOnly.server.shutdown(1_000)]);
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly trailers: Record<string, string>;
  readonly body: string;
}

/** The headers both servers may differ in by nature (date, a generated request id). */
function comparable(h: IncomingHttpHeaders, requestIdGiven: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(":") || k === "date" || v === undefined) continue;
    out[k] = k === "x-request-id" && !requestIdGiven ? "<generated>" : String(v);
  }
  return out;
}

function session(h: Harness, identity: KeyPairPem): ClientHttp2Session {
  const s = connect(`https://localhost:${h.server.grpcPort}`, { ca: pki.ca.cert, cert: identity.cert, key: identity.key });
  s.on("error", () => undefined);
  sessions.push(s);
  return s;
}

function frame(message: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function call(s: ClientHttp2Session, path: string, body: Buffer, extra: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = s.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...extra });
    const given = "x-request-id" in extra;
    let status = 0;
    let headers: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[constants.HTTP2_HEADER_STATUS]);
      headers = comparable(h, given);
    });
    stream.on("trailers", (t) => (trailers = comparable(t, given)));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", reject);
    stream.on("close", () => resolve({ status, headers, trailers, body: Buffer.concat(chunks).toString("base64") }));
    stream.end(body);
  });
}

const VERIFY = "/agentidentity.v1.VerifierService/Verify";
const verify = (scope: string): Buffer => frame(toBinary(VerifyRequestSchema, create(VerifyRequestSchema, { scope })));

const CASES: { name: string; path: string; body: () => Buffer; headers?: Record<string, string>; identity?: keyof TestPki["clients"] }[] = [
  { name: "Verify answered", path: VERIFY, body: () => verify("") },
  { name: "Verify with an incoming request id and a deadline", path: VERIFY, body: () => verify(""), headers: { "x-request-id": "req-12345678", "grpc-timeout": "5S" } },
  { name: "a handler fault (internal, detail withheld)", path: VERIFY, body: () => verify("internal") },
  { name: "a field violation with details", path: VERIFY, body: () => verify("invalid") },
  { name: "a rate limit with retry-after", path: VERIFY, body: () => verify("rate") },
  { name: "a method missing from the table", path: `/agentidentity.v1.VerifierService/${METHOD_NOT_IN_TABLE.split("/").pop()}`, body: () => frame(new Uint8Array(0)) },
  { name: "a role the peer lacks", path: VERIFY, body: () => verify(""), identity: "agent" },
  { name: "a certificate without a usable identity", path: VERIFY, body: () => verify(""), identity: "noUriSan" },
  { name: "an admin JWT missing", path: "/agentidentity.v1.AdminService/GetOrg", body: () => frame(toBinary(GetOrgRequestSchema, create(GetOrgRequestSchema, { orgId: "org_x" }))), identity: "admin" },
  { name: "an admin JWT given", path: "/agentidentity.v1.AdminService/GetOrg", body: () => frame(new Uint8Array(0)), identity: "admin", headers: { authorization: GOOD_ADMIN_JWT } },
  { name: "an unimplemented method", path: "/agentidentity.v1.AgentRegistryService/GetAgent", body: () => frame(new Uint8Array(0)), identity: "admin", headers: { authorization: GOOD_ADMIN_JWT } },
  { name: "health Check", path: "/grpc.health.v1.Health/Check", body: () => frame(new Uint8Array(0)) },
  { name: "an undecodable message", path: VERIFY, body: () => frame(Buffer.from([0xff, 0xff, 0xff])) },
  { name: "a compressed message without an encoding", path: VERIFY, body: () => frame(Buffer.from([0x00]), 1) },
  { name: "no message", path: VERIFY, body: () => Buffer.alloc(0) },
  { name: "two messages", path: VERIFY, body: () => Buffer.concat([verify(""), verify("")]) },
  { name: "an incomplete envelope", path: VERIFY, body: () => verify("partial").subarray(0, 7) },
  { name: "a message over the size limit", path: VERIFY, body: () => Buffer.from([0, 0x7f, 0, 0, 0, 1, 2, 3]) },
  { name: "a deadline beyond node's longest timer", path: VERIFY, body: () => verify(""), headers: { "grpc-timeout": "99999999H" } },
  { name: "a 23-day deadline", path: VERIFY, body: () => verify(""), headers: { "grpc-timeout": "2000000S" } },
];

describe("gRPC unary fast path", () => {
  it.each(CASES)("answers $name as Connect does", async (c) => {
    const identity = pki.clients[c.identity ?? "relyingParty"];
    const [mine, theirs] = await Promise.all(
      [fast, connectOnly].map((h) => call(session(h, identity), c.path, c.body(), c.headers)),
    );
    expect(mine).toEqual(theirs);
    expect(mine!.status).toBe(200);
    expect(mine!.trailers["grpc-status"] ?? mine!.headers["grpc-status"]).toBeDefined();
  });

  it("refuses a deadline node cannot time (over 2^31-1 ms) instead of cancelling the call after 1 ms; keeps a long one", async () => {
    for (const h of [fast, connectOnly]) {
      const s = session(h, pki.clients.relyingParty);
      const tooLong = await call(s, VERIFY, verify(""), { "grpc-timeout": "99999999H" });
      expect(tooLong.trailers["grpc-status"] ?? tooLong.headers["grpc-status"]).toBe("3");
      const long = await call(s, VERIFY, verify(""), { "grpc-timeout": "2000000S" });
      const plain = await call(s, VERIFY, verify(""));
      expect(long.trailers["grpc-status"]).toBe(plain.trailers["grpc-status"]);
      expect(long.body).toBe(plain.body);
    }
  });

  it("counts undecodable messages like the request-message check", async () => {
    const s = session(fast, pki.clients.relyingParty);
    await call(s, VERIFY, frame(Buffer.from([0xff, 0xff, 0xff])));
    const metrics = await fast.metrics.registry.metrics();
    expect(metrics).toMatch(/method="\/agentidentity\.v1\.VerifierService\/Verify",code="invalid_argument"} [1-9]/);
    expect(fast.logs.some((l) => l.msg === "request refused: undecodable message")).toBe(true);
  });
});
