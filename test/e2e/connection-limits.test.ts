/**
 * Every listener bounds what one client can hold (issue 9 item 4), with small limits set through the
 * environment: idle connections are closed, a TCP connection that never sends a TLS hello (or, on the sidecar,
 * a request) is closed, HTTP/2 streams beyond the cap are refused, connections beyond the per-peer cap are
 * closed, and an oversized HTTP/1.1 request is answered and its connection closed rather than left hanging.
 */
import { connect as http2Connect, constants as h2, type ClientHttp2Session } from "node:http2";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTargets } from "../support/databases.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";

/** Generous deadline for something the limits must make happen (never a timing assertion). */
const WITHIN_MS = 15_000;

function closed(emitter: { once(event: "close", fn: () => void): unknown }): Promise<"closed"> {
  return new Promise((resolve) => emitter.once("close", () => resolve("closed")));
}

function timeout(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
}

describe("connection limits", () => {
  let t: TestApp;
  let tlsOptions: { ca: Buffer; cert: Buffer; key: Buffer };

  beforeAll(async () => {
    t = await startTestApp({
      database: databaseTargets()[0]!,
      env: {
        IDLE_TIMEOUT_MS: "1000",
        HANDSHAKE_TIMEOUT_MS: "500",
        HEADERS_TIMEOUT_MS: "500",
        REQUEST_TIMEOUT_MS: "2000",
        MAX_CONCURRENT_STREAMS: "2",
        MAX_CONNECTIONS_PER_PEER: "4",
      },
    });
    const c = t.material.clients.admin;
    tlsOptions = { ca: readFileSync(t.material.caCertFile), cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) };
  });
  afterAll(async () => t?.close());

  async function session(identity: "admin" | "relyingParty" = "admin"): Promise<ClientHttp2Session> {
    const c = t.material.clients[identity];
    const s = http2Connect(t.baseUrl, { ...tlsOptions, cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) });
    s.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      s.once("connect", () => resolve());
      s.once("error", reject);
    });
    return s;
  }

  it("an idle HTTP/2 connection is closed by the server after IDLE_TIMEOUT_MS", async () => {
    const s = await session();
    const outcome = await Promise.race([closed(s), timeout(WITHIN_MS)]);
    expect(outcome).toBe("closed");
    s.destroy();
  });

  it("a TCP connection that never sends a TLS hello is closed (mTLS port), and one that never sends a request (sidecar)", async () => {
    for (const port of [t.app.server.grpcPort, t.app.server.sidecarPort!]) {
      const socket = netConnect(port, "127.0.0.1");
      socket.on("error", () => undefined);
      expect(await Promise.race([closed(socket), timeout(WITHIN_MS)])).toBe("closed");
    }
  });

  it("streams beyond MAX_CONCURRENT_STREAMS on one connection are refused", async () => {
    const s = await session();
    // Requests whose bodies never end stay open on the server; the third exceeds the cap of 2.
    const open = (): Promise<number> =>
      new Promise((resolve) => {
        const stream = s.request({
          ":method": "POST",
          ":path": "/agentidentity.v1.AdminService/ListOrgs",
          "content-type": "application/grpc",
          te: "trailers",
        });
        stream.on("error", () => undefined);
        stream.on("close", () => resolve(stream.rstCode ?? -1));
      });
    const codes = [open(), open(), open()];
    const third = await Promise.race([codes[2]!, timeout(WITHIN_MS)]);
    expect(third).toBe(h2.NGHTTP2_REFUSED_STREAM);
    s.destroy();
    await Promise.all(codes);
  });

  it("a request body unfinished after REQUEST_TIMEOUT_MS is cancelled; a VerifyStream (open-ended by design) is not", async () => {
    const s = await session("relyingParty");
    const open = (path: string) => {
      const stream = s.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
      stream.on("error", () => undefined);
      stream.on("data", () => undefined);
      return { stream, closed: closed(stream) };
    };
    const unary = open("/agentidentity.v1.VerifierService/Verify");
    const verifyStream = open("/agentidentity.v1.VerifierService/VerifyStream");
    // An empty request message on the stream every 200 ms keeps the connection from going idle (each gets an answer).
    const traffic = setInterval(() => verifyStream.stream.write(Buffer.from([0, 0, 0, 0, 0])), 200);
    try {
      expect(await Promise.race([unary.closed, timeout(WITHIN_MS)])).toBe("closed");
      // Well past the 2 s request timeout, the bidi stream is still open.
      expect(await Promise.race([verifyStream.closed, timeout(3_000)])).toBe("timeout");
    } finally {
      clearInterval(traffic);
      s.destroy();
    }
  });

  it("connections beyond MAX_CONNECTIONS_PER_PEER from one address are closed at once", async () => {
    const sockets: Socket[] = [];
    const open = async (): Promise<Socket> => {
      const socket = netConnect(t.app.server.grpcPort, "127.0.0.1");
      socket.on("error", () => undefined);
      await new Promise((r) => socket.once("connect", r));
      sockets.push(socket);
      return socket;
    };
    try {
      for (let i = 0; i < 4; i++) await open();
      const fifth = await open();
      expect(await Promise.race([closed(fifth), timeout(WITHIN_MS)])).toBe("closed");
      // The first four were admitted (the handshake deadline closes them later, not the cap).
      expect(sockets.slice(0, 4).every((s) => !s.destroyed && s.readyState === "open")).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      // Let the server see them go (its handshake deadline would close them after 500 ms anyway).
      await new Promise((r) => setTimeout(r, 1_000));
    }
  });

  /** Connect JSON (a 4xx) and gRPC-Web (HTTP 200 with grpc-status 8, answered before the body is read). */
  const oversized = [
    {
      protocol: "Connect",
      head: (n: number) => `content-type: application/json\r\nconnect-protocol-version: 1\r\ncontent-length: ${n}\r\n`,
      body: Buffer.alloc(2 * 1024 * 1024 + 10, 0x61),
      answered: /^HTTP\/1\.1 4\d\d /,
    },
    {
      protocol: "gRPC-Web",
      head: (n: number) => `content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\ncontent-length: ${n}\r\n`,
      body: Buffer.concat([Buffer.from([0, 0, 0x20, 0, 0]), Buffer.alloc(0x200000, 0)]),
      answered: /^HTTP\/1\.1 \d{3} [\s\S]*grpc-status: 8/i,
    },
  ];

  it.each(oversized)("an oversized $protocol request on HTTP/1.1 is answered, and the keep-alive connection then answers or closes", async (c) => {
    const socket = tlsConnect({ ...tlsOptions, host: "127.0.0.1", port: t.app.server.grpcPort, servername: "localhost", ALPNProtocols: ["http/1.1"] });
    socket.on("error", () => undefined);
    const gone = closed(socket);
    await new Promise((r) => socket.once("secureConnect", r));
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
    socket.write(`POST /agentidentity.v1.AdminService/ListOrgs HTTP/1.1\r\nhost: localhost\r\n${c.head(c.body.length)}\r\n`);
    socket.write(c.body);
    const first = await Promise.race([
      new Promise<"answered">((resolve) => {
        const check = (): void => void (c.answered.test(received) && received.includes("\r\n\r\n") && resolve("answered"));
        socket.on("data", check);
        check();
      }),
      gone,
      timeout(WITHIN_MS),
    ]);
    expect(first).toBe("answered");
    const firstLength = received.length;
    // Its unread body would be parsed as the next request: the answer says the connection closes.
    expect(received.slice(0, received.indexOf("\r\n\r\n"))).toMatch(/\r\nconnection: close/i);
    // The next request on the same connection: answered, or the connection closed; never left hanging.
    if (!socket.destroyed) socket.write("GET /agentidentity.v1.AdminService/ListOrgs HTTP/1.1\r\nhost: localhost\r\n\r\n");
    const next = await Promise.race([
      gone,
      new Promise<"answered">((resolve) => socket.on("data", () => /HTTP\/1\.1 \d{3}/.test(received.slice(firstLength)) && resolve("answered"))),
      timeout(WITHIN_MS),
    ]);
    expect(next).not.toBe("timeout");
    socket.destroy();
  });
});
