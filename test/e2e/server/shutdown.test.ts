/** Graceful shutdown: a call in flight completes, new calls and connections are refused, nothing stays open. */
import * as http2 from "node:http2";
import * as https from "node:https";
import * as net from "node:net";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { createTestPki } from "../../support/tls.js";
import { mtlsClient, startHarness } from "./harness.js";

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("graceful shutdown", () => {
  it("lets the call in flight finish, refuses new work, ends Watch and closes every connection", async () => {
    const pki = await createTestPki();
    const h = await startHarness(pki);
    const rp = mtlsClient(VerifierService, h.server.grpcPort, pki, pki.clients.relyingParty);
    const health = mtlsClient(Health, h.server.grpcPort, pki, pki.clients.agent);
    try {
      const watch = health.client.watch({ service: "" })[Symbol.asyncIterator]();
      expect((await watch.next()).value?.status).toBe(Status.SERVING);

      const inFlight = rp.client.verify({ scope: "wait" });
      await h.gate.entered;
      const shutdown = h.server.shutdown(30_000);

      // Watch sees NOT_SERVING, then the stream ends.
      expect((await watch.next()).value?.status).toBe(Status.NOT_SERVING);
      expect((await watch.next()).done).toBe(true);

      // A new call on the draining connection is refused.
      const refused = await rp.client.getJwks({}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ConnectError);
      // A new connection is refused.
      expect(await refusesConnections(h.server.grpcPort)).toBe(true);
      expect(await refusesConnections(h.server.sidecarPort!)).toBe(true);

      h.gate.open();
      const res = await inFlight;
      expect(res.valid).toBe(true);
      await shutdown;
      expect(h.health.readiness().ok).toBe(false);
      expect(h.logs.some((l) => l.msg === "listeners closed")).toBe(true);
    } finally {
      rp.close();
      health.close();
      h.gate.open();
    }
  });

  it("closes idle HTTP/2 and HTTP/1.1 keep-alive connections so every listener fully closes", async () => {
    const pki = await createTestPki();
    const h = await startHarness(pki);
    const tls = { ca: pki.ca.cert, cert: pki.clients.relyingParty.cert, key: pki.clients.relyingParty.key };
    const session = http2.connect(`https://localhost:${h.server.grpcPort}`, tls);
    session.on("error", () => undefined);
    await new Promise<void>((resolve) => session.once("connect", () => resolve()));
    const sessionClosed = new Promise<void>((resolve) => session.once("close", () => resolve()));
    const agent = new https.Agent({ ...tls, keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        { host: "localhost", port: h.server.grpcPort, path: "/agentidentity.v1.VerifierService/GetJwks", method: "POST", agent,
          headers: { "content-type": "application/json" } },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(200);
    const sidecar = net.connect(h.server.sidecarPort!, "127.0.0.1");
    await new Promise<void>((resolve) => sidecar.once("connect", () => resolve()));
    const sidecarClosed = new Promise<void>((resolve) => sidecar.once("close", () => resolve()));
    sidecar.on("error", () => undefined);
    // Both clients keep their connections open; shutdown must still close them (server.close waits for that).
    await h.server.shutdown(60_000);
    await sessionClosed;
    await sidecarClosed;
    agent.destroy();
    expect(await refusesConnections(h.server.grpcPort)).toBe(true);
  });
});
