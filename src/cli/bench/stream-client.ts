/**
 * The bench's VerifyStream client: one bidirectional stream per HTTP/2 connection, a fixed number of messages in
 * flight per stream, each answer matched to its request by correlation id (the request's index, in decimal).
 */
import { constants, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { LatencyRecorder, type PhaseResult } from "./measure.js";

const STREAM_PATH = "/agentidentity.v1.VerifierService/VerifyStream";

/** Wraps an encoded VerifyRequest frame (5-byte prefix + message) as a VerifyStreamRequest frame with `id`. */
export function streamRequestFrame(id: number, verifyFrame: Buffer): Buffer {
  const idBytes = Buffer.from(String(id), "ascii");
  const inner = verifyFrame.subarray(5);
  const lenVarint: number[] = [];
  for (let n = inner.length; ; n >>>= 7) {
    if (n < 0x80) {
      lenVarint.push(n);
      break;
    }
    lenVarint.push((n & 0x7f) | 0x80);
  }
  const body = Buffer.concat([Buffer.from([0x0a, idBytes.length]), idBytes, Buffer.from([0x12, ...lenVarint]), inner]);
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame[0] = 0;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

/**
 * Reads a VerifyStreamResponse message: correlation id (field 1) and whether it carries a VerifyResponse (field 2)
 * whose valid (its field 1) is true. undefined when the message has another shape (an error answer).
 */
export function readStreamAnswer(message: Buffer): { id: number; valid: boolean } | undefined {
  if (message[0] !== 0x0a) return undefined;
  const idLength = message[1]!;
  const id = Number(message.toString("ascii", 2, 2 + idLength));
  let at = 2 + idLength;
  if (message[at] !== 0x12) return { id, valid: false };
  at++;
  while (message[at]! & 0x80) at++;
  at++;
  return { id, valid: message[at] === 0x08 && message[at + 1] === 0x01 };
}

/** Splits a byte stream into gRPC messages. */
class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt32BE(1);
      if (this.buffer.length < 5 + length) return;
      onMessage(this.buffer.subarray(5, 5 + length));
      this.buffer = this.buffer.subarray(5 + length);
    }
  }
}

export interface StreamLimits {
  /** Messages in flight per stream. */
  readonly perStream: number;
  readonly maxMs: number;
}

function openStream(session: ClientHttp2Session): ClientHttp2Stream {
  return session.request({
    [constants.HTTP2_HEADER_METHOD]: "POST",
    [constants.HTTP2_HEADER_PATH]: STREAM_PATH,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
    [constants.HTTP2_HEADER_TE]: "trailers",
  });
}

/** Streams `frames` (encoded VerifyRequests) over one stream per session, `perStream` in flight on each. */
export async function runStreamPhase(name: string, sessions: readonly ClientHttp2Session[], frames: readonly Buffer[], limits: StreamLimits): Promise<PhaseResult> {
  const recorder = new LatencyRecorder(frames.length);
  const sentAt = new Float64Array(frames.length);
  const started = performance.now();
  const deadline = started + limits.maxMs;
  let next = 0;
  const one = (session: ClientHttp2Session): Promise<void> =>
    new Promise((resolve) => {
      const stream = openStream(session);
      const reader = new FrameReader();
      let inFlight = 0;
      const send = (): void => {
        while (inFlight < limits.perStream && next < frames.length && performance.now() < deadline) {
          const i = next++;
          sentAt[i] = performance.now();
          inFlight++;
          stream.write(streamRequestFrame(i, frames[i]!));
        }
        if (inFlight === 0) stream.end();
      };
      stream.on("data", (chunk: Buffer) =>
        reader.push(chunk, (message) => {
          const answer = readStreamAnswer(message);
          inFlight--;
          if (answer === undefined || !answer.valid) recorder.fail(new Error("refused or error answer"));
          else recorder.ok(performance.now() - sentAt[answer.id]!);
          send();
        }),
      );
      stream.on("error", (e) => recorder.fail(e));
      stream.on("close", () => {
        for (; inFlight > 0; inFlight--) recorder.fail(new Error(`stream closed (rst ${stream.rstCode})`));
        resolve();
      });
      send();
    });
  await Promise.all(sessions.map(one));
  return recorder.summarise(name, performance.now() - started);
}
