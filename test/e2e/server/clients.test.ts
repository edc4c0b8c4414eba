/** One server, three clients: Connect-node, @grpc/grpc-js from the .proto files, and the buf CLI (via reflection). */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ServerReflection } from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { createTestPki } from "../../support/tls.js";
import type { TestPki } from "../../support/tls.js";
import { mtlsClient, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

const run = promisify(execFile);
const BUF = join(process.cwd(), "node_modules/.bin/buf");
const OUR_SERVICES = [
  "agentidentity.v1.AdminService",
  "agentidentity.v1.AgentRegistryService",
  "agentidentity.v1.VerifierService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

let pki: TestPki;
let h: Harness;
const closers: (() => void)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  h = await startHarness(pki);
});

afterAll(async () => {
  for (const c of closers) c();
  await h.server.shutdown(1_000);
});

function buf(args: string[], client = "admin"): Promise<{ stdout: string; stderr: string }> {
  return run(BUF, [
    "curl",
    "--protocol",
    "grpc",
    "--cacert",
    pki.file("ca", "crt"),
    "--cert",
    pki.file(client, "crt"),
    "--key",
    pki.file(client, "key"),
    ...args,
  ]);
}

describe("Connect-node client", () => {
  it.each([
    ["v1", ServerReflection],
    ["v1alpha", ServerReflectionAlpha],
  ] as const)("lists our services through reflection %s", async (_v, service) => {
    const c = mtlsClient(service, h.server.grpcPort, pki, pki.clients.agent);
    closers.push(c.close);
    async function* requests() {
      yield { host: "", messageRequest: { case: "listServices" as const, value: "*" } };
      yield { host: "", messageRequest: { case: "fileContainingSymbol" as const, value: "agentidentity.v1.VerifierService" } };
      yield { host: "", messageRequest: { case: "fileByFilename" as const, value: "no/such.proto" } };
    }
    const answers = [];
    for await (const a of c.client.serverReflectionInfo(requests())) answers.push(a);
    expect(answers).toHaveLength(3);
    const list = answers[0]?.messageResponse;
    expect(list?.case).toBe("listServicesResponse");
    if (list?.case === "listServicesResponse") expect(list.value.service.map((s) => s.name)).toEqual(OUR_SERVICES);
    const files = answers[1]?.messageResponse;
    expect(files?.case).toBe("fileDescriptorResponse");
    // verifier.proto, then its imports (common.proto, timestamp, struct).
    if (files?.case === "fileDescriptorResponse") expect(files.value.fileDescriptorProto.length).toBeGreaterThanOrEqual(3);
    const missing = answers[2]?.messageResponse;
    expect(missing?.case).toBe("errorResponse");
    if (missing?.case === "errorResponse") expect(missing.value.errorCode).toBe(5);
  });

  it("speaks the Connect protocol over HTTP/1.1 on the same port", async () => {
    const { createConnectTransport } = await import("@connectrpc/connect-node");
    const { createClient } = await import("@connectrpc/connect");
    const transport = createConnectTransport({
      baseUrl: `https://localhost:${h.server.grpcPort}`,
      httpVersion: "1.1",
      nodeOptions: { ca: pki.ca.cert, cert: pki.clients.relyingParty.cert, key: pki.clients.relyingParty.key, agent: false },
    });
    const res = await createClient(VerifierService, transport).verify({ scope: "ok" });
    expect(res.reasonCode).toBe(`spiffe://${pki.trustDomain}/rp/shop`);
  });
});

describe("@grpc/grpc-js client from the .proto files", () => {
  it("calls Verify as a relying party and is refused GetJwks with no usable identity", async () => {
    const definition = protoLoader.loadSync("agentidentity/v1/verifier.proto", {
      includeDirs: [join(process.cwd(), "proto")],
      longs: String,
      defaults: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      agentidentity: { v1: { VerifierService: grpc.ServiceClientConstructor } };
    };
    const Ctor = loaded.agentidentity.v1.VerifierService;
    const creds = (id: "relyingParty" | "noUriSan"): grpc.ChannelCredentials =>
      grpc.credentials.createSsl(Buffer.from(pki.ca.cert), Buffer.from(pki.clients[id].key), Buffer.from(pki.clients[id].cert));
    const call = (client: grpc.Client, method: string, req: object): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const fn = (client as unknown as Record<string, (r: object, cb: (e: grpc.ServiceError | null, v: Record<string, unknown>) => void) => void>)[method];
        fn?.call(client, req, (e, v) => (e === null ? resolve(v) : reject(e)));
      });
    const rp = new Ctor(`localhost:${h.server.grpcPort}`, creds("relyingParty"));
    const noId = new Ctor(`localhost:${h.server.grpcPort}`, creds("noUriSan"));
    try {
      const res = await call(rp, "Verify", { scope: "ok" });
      expect(res.valid).toBe(true);
      const err = (await call(noId, "GetJwks", {}).catch((e: unknown) => e)) as grpc.ServiceError;
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      rp.close();
      noId.close();
    }
  });
});

describe("buf curl (the real CLI, reflection only, no local protos)", () => {
  it.each(["grpc-v1", "grpc-v1alpha"])("lists services over mTLS with reflection protocol %s", async (protocol) => {
    const { stdout } = await buf(["--reflect-protocol", protocol, "--list-services", `https://localhost:${h.server.grpcPort}`]);
    expect(stdout.trim().split("\n").sort()).toEqual(OUR_SERVICES);
  });

  it("lists methods and calls health and GetJwks", async () => {
    const base = `https://localhost:${h.server.grpcPort}`;
    const methods = await buf(["--list-methods", base]);
    expect(methods.stdout).toContain("agentidentity.v1.VerifierService/Verify");
    const health = await buf(["-d", '{"service":""}', `${base}/grpc.health.v1.Health/Check`]);
    expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
    const jwks = await buf(["-d", "{}", `${base}/agentidentity.v1.VerifierService/GetJwks`], "relyingParty");
    expect(JSON.parse(jwks.stdout)).toEqual({ jwksJson: '{"keys":[]}' });
  });

  it("is refused reflection with a certificate without a usable identity", async () => {
    const err = (await buf(["--list-services", `https://localhost:${h.server.grpcPort}`], "twoUriSans").catch((e: unknown) => e)) as {
      stderr?: string;
    };
    expect(err.stderr).toMatch(/not authenticated|unauthenticated/);
  });

  it("checks health in plaintext h2c on the sidecar", async () => {
    const { stdout } = await run(BUF, [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--schema",
      join(process.cwd(), "proto/grpc/health/v1/health.proto"),
      "-d",
      '{"service":"agentidentity.v1.AdminService"}',
      `http://127.0.0.1:${h.server.sidecarPort}/grpc.health.v1.Health/Check`,
    ]);
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });
});
