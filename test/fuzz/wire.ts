// Raw HTTP/2 requests in each protocol the server speaks (gRPC, gRPC-Web, Connect proto and JSON), with hostile
// framing, and the outcome read back as one code name ("ok", "invalid_argument", ..., "hang", "http_415").
import { connect, constants, type ClientHttp2Session } from "node:http2";
import type { Prng } from "./prng.js";

export type Protocol = "grpc" | "grpc-web" | "connect-proto" | "connect-json";

const GRPC_CODES = [
  "ok", "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied",
  "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable",
  "data_loss", "unauthenticated",
];

export interface TlsIdentity {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A client session; `usable` turns false once it errors, gets GOAWAY or closes (the caller opens a new one). */
export function openSession(baseUrl: string, tls: TlsIdentity): ClientHttp2Session & { usable: boolean } {
  const session = Object.assign(connect(baseUrl, { ca: tls.ca, cert: tls.cert, key: tls.key }), { usable: true });
  const unusable = (): void => {
    session.usable = false;
  };
  session.on("error", unusable);
  session.on("goaway", unusable);
  session.on("close", unusable);
  return session;
}

/** A gRPC / gRPC-Web length-prefixed frame, its flag and length sometimes lying. */
export function frame(prng: Prng, payload: Uint8Array, hostile: boolean): Uint8Array {
  const head = Buffer.alloc(5);
  head[0] = hostile && prng.chance(0.3) ? prng.pick([1, 2, 0x80, 0xff]) : 0;
  let length = payload.length;
  if (hostile && prng.chance(0.3)) length = prng.pick([payload.length + 10, 0x7fffffff, 0xffffffff, Math.max(0, payload.length - 3)]);
  head.writeUInt32BE(length >>> 0, 1);
  const body = Buffer.concat([head, payload]);
  return hostile && prng.chance(0.1) ? body.subarray(0, prng.int(body.length)) : body;
}

export interface Sent {
  readonly code: string;
  readonly ms: number;
}

function grpcStatusOf(headers: Record<string, unknown>, trailers: Record<string, unknown>, body: Buffer, web: boolean): string {
  let status = trailers["grpc-status"] ?? headers["grpc-status"];
  if (status === undefined && web) {
    // The trailer frame: flag 0x80, then "grpc-status: N\r\n..." text.
    let at = 0;
    while (at + 5 <= body.length) {
      const flag = body[at]!;
      const len = body.readUInt32BE(at + 1);
      if (flag & 0x80) {
        const m = /grpc-status:\s*(\d+)/i.exec(body.subarray(at + 5, at + 5 + len).toString("latin1"));
        if (m !== null) status = m[1];
        break;
      }
      at += 5 + len;
    }
  }
  if (status === undefined) return `http_${String(headers[":status"])}_no_status`;
  return GRPC_CODES[Number(status)] ?? `grpc_${String(status)}`;
}

function connectCodeOf(httpStatus: number, body: Buffer): string {
  if (httpStatus === 200) return "ok";
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { code?: unknown };
    if (typeof parsed.code === "string") return parsed.code;
  } catch {
    // not a Connect error body
  }
  return `http_${httpStatus}`;
}

/** Sends one request and waits (up to timeoutMs) for its whole answer. */
export function send(
  session: ClientHttp2Session,
  request: { path: string; protocol: Protocol; body: Uint8Array; headers: Record<string, string> },
  timeoutMs: number,
): Promise<Sent> {
  const started = performance.now();
  const contentType = {
    grpc: "application/grpc+proto",
    "grpc-web": "application/grpc-web+proto",
    "connect-proto": "application/proto",
    "connect-json": "application/json",
  }[request.protocol];
  return new Promise((resolve) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: request.path,
      "content-type": contentType,
      ...(request.protocol === "grpc" ? { te: "trailers" } : {}),
      ...request.headers,
    });
    const chunks: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    const finish = (code: string) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started });
    };
    const timer = setTimeout(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      finish("hang");
    }, timeoutMs);
    stream.on("response", (h) => (headers = h as Record<string, unknown>));
    stream.on("trailers", (t) => (trailers = t as Record<string, unknown>));
    stream.on("data", (c: Buffer) => {
      if (chunks.reduce((n, x) => n + x.length, 0) < 1_000_000) chunks.push(c);
    });
    stream.on("error", (e: NodeJS.ErrnoException) => {
      // The server's HTTP/2 flood protection closing an abusive session: a defined refusal, not a failure.
      if (e.message.includes("ENHANCE_YOUR_CALM")) {
        (session as { usable?: boolean }).usable = false;
        finish("enhance_your_calm");
      } else finish(`stream_error:${e.code ?? "?"}:${e.message.slice(0, 80)}`);
    });
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const status = Number(headers[":status"]);
      if (request.protocol === "grpc" || request.protocol === "grpc-web") finish(status === 200 ? grpcStatusOf(headers, trailers, body, request.protocol === "grpc-web") : `http_${status}`);
      else finish(connectCodeOf(status, body));
    });
    stream.end(Buffer.from(request.body));
  });
}
