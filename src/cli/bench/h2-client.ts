/**
 * The bench's load-generator client: gRPC over raw node:http2 with requests encoded before the clock starts, so
 * a call costs one HTTP/2 stream and a few bytes of parsing (the Connect client costs several times more).
 */
import { connect, constants, type ClientHttp2Session } from "node:http2";

export interface TlsFiles {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A gRPC length-prefixed message (uncompressed). */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/**
 * True when a response message starts with field 1 = true/1 (tag 0x08, value 0x01): VerifyResponse.valid and
 * HealthCheckResponse.status SERVING. protobuf-es writes fields in field-number order, so this is exact for the
 * server measured here and costs no decoding.
 */
export function firstFieldIsOne(frame: Buffer): boolean {
  return frame.length >= 7 && frame[5] === 0x08 && frame[6] === 0x01;
}

/** Opens `count` HTTP/2 connections (mTLS) to `origin` and waits until each is connected. */
export async function openSessions(origin: string, tls: TlsFiles, count: number): Promise<ClientHttp2Session[]> {
  const sessions = Array.from({ length: count }, () =>
    connect(origin, { ca: tls.ca, cert: tls.cert, key: tls.key, servername: "localhost", settings: { enablePush: false } }),
  );
  await Promise.all(
    sessions.map(
      (s) =>
        new Promise<void>((resolve, reject) => {
          s.once("connect", () => resolve());
          s.once("error", reject);
        }),
    ),
  );
  for (const s of sessions) s.on("error", () => undefined);
  return sessions;
}

const REQUEST_HEADERS = {
  [constants.HTTP2_HEADER_METHOD]: "POST",
  [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
  [constants.HTTP2_HEADER_TE]: "trailers",
};

/**
 * One unary gRPC call: resolves when the response ended with grpc-status 0 and a first message that passes
 * `accept`; rejects otherwise (the message names the status).
 */
export function unaryCall(session: ClientHttp2Session, path: string, frame: Buffer, accept: (response: Buffer) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ...REQUEST_HEADERS, [constants.HTTP2_HEADER_PATH]: path });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    stream.on("response", (headers) => {
      const s = headers["grpc-status"];
      if (typeof s === "string") status = s;
    });
    stream.on("trailers", (trailers) => {
      const s = trailers["grpc-status"];
      if (typeof s === "string") status = s;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      if (status !== "0") return reject(new Error(`grpc-status ${status ?? "missing"}`));
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (!accept(body)) return reject(new Error("unexpected response"));
      resolve();
    });
    stream.end(frame);
  });
}
