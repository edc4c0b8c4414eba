/**
 * The gRPC unary fast path serves its streams on node's core HTTP/2 API, outside the compat request/response objects
 * the connection tracker follows: shutdown still drains a call in flight, a body that never ends is cancelled after
 * the request timeout, and a client's reset mid-call releases the call so the drain completes.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { VerifyRequestSchema, VerifyResponseSchema } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { createTestPki, type TestPki } from "../../support/tls.js";
import { startHarness, testConfig, type Harness } from "./harness.js";

const VERIFY = "/agentidentity.v1.VerifierService/Verify";
/** Generous deadline for something that must happen (never a timing assertion). */
const WITHIN_MS = 15_000;
const DEADLINE_LOG = "shutdown deadline reached: cancelling calls in flight";

let pki: TestPki;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  pki = await createTestPki();
});

afterAll(() => {
  for (const s of sessions) s.destroy();
});

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

const verify = (scope: string): Buffer => frame(toBinary(VerifyRequestSchema, create(VerifyRequestSchema, { scope })));

async function session(h: Harness): Promise<ClientHttp2Session> {
  const c = pki.clients.relyingParty;
  const s = connect(`https://localhost:${h.server.grpcPort}`, { ca: pki.ca.cert, cert: c.cert, key: c.key });
  s.on("error", () => undefined);
  sessions.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("error", reject);
  });
  return s;
}

interface Outcome {
  readonly grpcStatus: string | undefined;
  readonly body: Buffer;
  readonly rstCode: number | undefined;
}

/** A unary gRPC call on the fast path (the body is written by the test) and what it ends with. */
function open(s: ClientHttp2Session): { stream: ClientHttp2Stream; outcome: Promise<Outcome> } {
  const stream = s.request({ ":method": "POST", ":path": VERIFY, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => undefined);
  let grpcStatus: string | undefined;
  const chunks: Buffer[] = [];
  stream.on("trailers", (t) => (grpcStatus = t["grpc-status"] as string | undefined));
  stream.on("data", (c: Buffer) => chunks.push(c));
  const outcome = new Promise<Outcome>((resolve) =>
    stream.on("close", () => resolve({ grpcStatus, body: Buffer.concat(chunks), rstCode: stream.rstCode })),
  );
  return { stream, outcome };
}

function settled(p: Promise<unknown>): () => boolean {
  let done = false;
  void p.finally(() => (done = true));
  return () => done;
}

function within<T>(p: Promise<T>): Promise<T | "timeout"> {
  return Promise.race([p, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), WITHIN_MS).unref())]);
}

describe("gRPC unary fast path on the core stream API", () => {
  // With the fast path off the same call goes through the compat layer and Connect: both must keep the answer whole
  // (trailers included) through the drain.
  it.each([
    ["on the fast path", true],
    ["through Connect", false],
  ])("shutdown waits for a call in flight %s, then the call completes with its trailers", async (_path, grpcFastPath) => {
    const h = await startHarness(pki, { ...testConfig(pki), serving: { grpcFastPath } });
    try {
      const s = await session(h);
      const goaway = new Promise<void>((resolve) => s.once("goaway", () => resolve()));
      const call = open(s);
      call.stream.end(verify("wait"));
      await h.gate.entered;
      const shutdown = h.server.shutdown(20_000);
      const shutdownDone = settled(shutdown);
      // The drain has begun (GOAWAY sent) while the call is still in its handler: shutdown has not finished.
      await goaway;
      expect(shutdownDone()).toBe(false);
      h.gate.open();
      const outcome = await call.outcome;
      expect(outcome.grpcStatus).toBe("0");
      expect(fromBinary(VerifyResponseSchema, outcome.body.subarray(5)).valid).toBe(true);
      await shutdown;
      expect(h.logs.some((l) => l.msg === DEADLINE_LOG)).toBe(false);
    } finally {
      h.gate.open();
    }
  });

  it("cancels a fast-path stream whose body never ends after the request timeout, and releases it", async () => {
    const config = testConfig(pki);
    const h = await startHarness(pki, { ...config, limits: { ...config.limits, requestTimeoutMs: 300 } });
    const s = await session(h);
    const call = open(s);
    // The envelope prefix and part of the message, and no end of stream.
    call.stream.write(verify("never finished").subarray(0, 8));
    const outcome = await within(call.outcome);
    expect(outcome).not.toBe("timeout");
    expect((outcome as Outcome).rstCode).toBe(constants.NGHTTP2_CANCEL);
    expect((outcome as Outcome).grpcStatus).toBeUndefined();
    // Nothing is left in flight: the drain completes without reaching its deadline.
    await h.server.shutdown(10_000);
    expect(h.logs.some((l) => l.msg === DEADLINE_LOG)).toBe(false);
    expect(h.handled).toBe(0);
  });

  it.each([
    ["in its handler", true],
    ["before its body ends", false],
  ])("a client reset of a fast-path call %s releases it: no answer, no crash, the drain completes", async (_when, inHandler) => {
    const h = await startHarness(pki);
    try {
      const s = await session(h);
      const call = open(s);
      if (inHandler) {
        call.stream.end(verify("wait"));
        await h.gate.entered;
      } else {
        call.stream.write(verify("wait").subarray(0, 6));
        // The server dispatches a session's streams in order: once a later call is answered, this one is being served.
        const later = open(s);
        later.stream.end(verify(""));
        expect((await later.outcome).grpcStatus).toBe("0");
      }
      call.stream.close(constants.NGHTTP2_CANCEL);
      const outcome = await call.outcome;
      expect(outcome.grpcStatus).toBeUndefined();
      expect(outcome.body.length).toBe(0);
      // The handler (when it runs) is still waiting on the gate: the reset alone released the call.
      await h.server.shutdown(10_000);
      expect(h.logs.some((l) => l.msg === DEADLINE_LOG)).toBe(false);
      expect(h.handled).toBe(1);
      // The handler finishes after its stream is gone: nothing is answered and nothing fails.
      h.gate.open();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      h.gate.open();
    }
  });
});
