/**
 * The bench's references, a child process of `npm run bench`: the same null RPC (health Check answering SERVING)
 * on a minimal @grpc/grpc-js server, and a minimal HTTP/1.1 server, both with the service's TLS and client
 * certificates required. What the service costs above them is framework and handler cost.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { ReferencePorts } from "./protocol.js";

/** HealthCheckResponse{status: SERVING}, encoded. */
const SERVING = Buffer.from([0x08, 0x01]);

function identity(b: Buffer): Buffer {
  return b;
}

async function startGrpcJs(ca: Buffer, cert: Buffer, key: Buffer): Promise<number> {
  const server = new grpc.Server();
  server.addService(
    {
      Check: {
        path: "/grpc.health.v1.Health/Check",
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Check: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, SERVING),
    },
  );
  const credentials = grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
  return new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (e, port) => (e ? reject(e) : resolve(port))));
}

async function startHttp1(ca: Buffer, cert: Buffer, key: Buffer): Promise<number> {
  const server = createServer({ ca, cert, key, requestCert: true, rejectUnauthorized: true, keepAliveTimeout: 60_000 }, (req, res) => {
    req.on("data", () => undefined);
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": SERVING.length });
      res.end(SERVING);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

const [caFile, certFile, keyFile] = process.argv.slice(2);
if (caFile === undefined || certFile === undefined || keyFile === undefined) throw new Error("usage: reference-servers <ca> <cert> <key>");
const ca = readFileSync(caFile);
const cert = readFileSync(certFile);
const key = readFileSync(keyFile);
const ports: ReferencePorts = { type: "listening", grpcJsPort: await startGrpcJs(ca, cert, key), http1Port: await startHttp1(ca, cert, key) };
process.send?.(ports);
process.on("disconnect", () => process.exit(0));
