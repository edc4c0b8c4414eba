// The gRPC unary fast path serves uncompressed unary gRPC over HTTP/2 on the core stream API and hands every other stream to the compat layer.
import { connect as connectH2, createServer, type ClientHttp2Session, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectRouter, createContextValues, type Interceptor } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ConnectionTracker } from "../../src/server/connection-tracker.js";
import { grpcUnaryFront } from "../../src/server/grpc-unary-front.js";
import { writeHead } from "../../src/server/http-types.js";
import { healthService } from "../../src/server/health.js";
import { HealthRegistry } from "../../src/server/health-registry.js";
import { serveStreamsFirst } from "../../src/server/stream-front.js";
import { recordingUnaryMethods, type UnaryMethod } from "../../src/server/unary-invoker.js";

const CHECK = "/grpc.health.v1.Health/Check";
const EMPTY_FRAME = Buffer.alloc(5);

let server: Http2Server;
let client: ClientHttp2Session;
const handedToConnect: string[] = [];
const intercepted: string[] = [];
const answerFailures: string[] = [];

beforeAll(async () => {
  const methods = new Map<string, UnaryMethod>();
  recordingUnaryMethods(createConnectRouter(), methods).service(Health, healthService(new HealthRegistry()));
  const seen: Interceptor = (next) => async (req) => {
    intercepted.push(`${req.method.name} ${req.header.get("x-probe") ?? ""}`);
    const res = await next(req);
    // A response header node's HTTP/2 layer refuses to send (connection-specific): the answer cannot be written.
    if (req.header.get("x-probe") === "connection-header") res.header.set("connection", "close");
    return res;
  };
  const front = grpcUnaryFront({
    methods,
    interceptors: [seen],
    contextValues: () => createContextValues(),
    readMaxBytes: 1024,
    shutdownSignal: new AbortController().signal,
    onRejected: () => undefined,
    onAnswerFailed: (path, error) => answerFailures.push(`${path} ${(error as { code?: string }).code ?? String(error)}`),
  });
  server = createServer((req, res) => {
    handedToConnect.push(`${req.headers["content-type"]} ${req.url}`);
    writeHead(res, 204);
    res.end();
  });
  serveStreamsFirst(server, front, new ConnectionTracker());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  client = connectH2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  client.close();
  await new Promise((r) => server.close(r));
});

function post(path: string, headers: Record<string, string>): Promise<{ status: number; grpcStatus: string | undefined }> {
  return new Promise((resolve, reject) => {
    const stream = client.request({ ":method": "POST", ":path": path, ...headers });
    let status = 0;
    let grpcStatus: string | undefined;
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.on("trailers", (t) => (grpcStatus = t["grpc-status"] as string | undefined));
    stream.on("data", () => undefined);
    stream.on("error", reject);
    stream.on("close", () => resolve({ status, grpcStatus }));
    stream.end(EMPTY_FRAME);
  });
}

describe("grpcUnaryFront", () => {
  it("serves a unary gRPC call itself, through the interceptors, with the request headers", async () => {
    handedToConnect.length = 0;
    expect(await post(CHECK, { "content-type": "application/grpc", "x-probe": "one" })).toEqual({ status: 200, grpcStatus: "0" });
    expect(await post(CHECK, { "content-type": "application/grpc+proto", "grpc-encoding": "identity", "grpc-timeout": "2S" })).toEqual({ status: 200, grpcStatus: "0" });
    expect(handedToConnect).toEqual([]);
    expect(intercepted).toContain("Check one");
  });

  it("resets the stream and reports it when the answer cannot be written, and goes on serving", async () => {
    const failed = await new Promise<string>((resolve) => {
      const stream = client.request({ ":method": "POST", ":path": CHECK, "content-type": "application/grpc", "x-probe": "connection-header" });
      stream.on("data", () => undefined);
      stream.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      stream.on("close", () => resolve(`closed with code ${stream.rstCode}`));
      stream.end(EMPTY_FRAME);
    });
    expect(failed).toMatch(/ERR_HTTP2_STREAM_ERROR|code 2/);
    expect(answerFailures).toEqual([`${CHECK} ERR_HTTP2_INVALID_CONNECTION_HEADERS`]);
    expect(await post(CHECK, { "content-type": "application/grpc" })).toEqual({ status: 200, grpcStatus: "0" });
  });

  it.each([
    ["gRPC-Web", CHECK, { "content-type": "application/grpc-web+proto" }],
    ["the Connect protocol", CHECK, { "content-type": "application/proto" }],
    ["gRPC with JSON", CHECK, { "content-type": "application/grpc+json" }],
    ["a compressed call", CHECK, { "content-type": "application/grpc", "grpc-encoding": "gzip" }],
    ["an unreadable timeout", CHECK, { "content-type": "application/grpc", "grpc-timeout": "soon" }],
    ["an expectation", CHECK, { "content-type": "application/grpc", expect: "100-continue" }],
    ["a server stream", "/grpc.health.v1.Health/Watch", { "content-type": "application/grpc" }],
    ["an unknown method", "/grpc.health.v1.Health/Nope", { "content-type": "application/grpc" }],
  ])("hands %s to Connect", async (_name, path, headers) => {
    handedToConnect.length = 0;
    expect((await post(path, headers)).status).toBe(204);
    expect(handedToConnect).toEqual([`${headers["content-type"]} ${path}`]);
  });
});
