/**
 * Per-listener connection limits: connections per remote address, idle sockets and sessions, HTTP/1.1 request
 * heads that never arrive, request bodies that never finish, and HTTP/1.1 connections left mid-body after a response.
 */
import type { ServerResponse } from "node:http";
import { constants as http2Constants, type Http2ServerRequest, type Http2Session, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import type { Config } from "../config/types.js";
import type { AnyRequest, AnyResponse } from "./http-types.js";

export type ConnectionLimits = Config["limits"];

/** Counts open connections per remote address and refuses those beyond the cap. */
export class PeerConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts `socket` until it closes; false (and the socket destroyed) when its address is at the cap. */
  admit(socket: Socket): boolean {
    const peer = socket.remoteAddress ?? "unknown";
    const n = this.open.get(peer) ?? 0;
    if (n >= this.max) {
      socket.destroy();
      return false;
    }
    this.open.set(peer, n + 1);
    socket.once("close", () => {
      const left = (this.open.get(peer) ?? 1) - 1;
      if (left <= 0) this.open.delete(peer);
      else this.open.set(peer, left);
    });
    return true;
  }
}

/** Closes a socket that carries no traffic for `idleMs` (HTTP/2 sockets use the session's timer instead). */
export function closeWhenIdle(socket: Socket, idleMs: number): void {
  socket.setTimeout(idleMs);
  socket.on("timeout", () => socket.destroy());
}

/** Closes an HTTP/2 session idle for `idleMs` (no frames either way); its streams go with it. */
export function closeSessionWhenIdle(session: Http2Session, idleMs: number): void {
  session.setTimeout(idleMs, () => session.destroy());
}

/**
 * HTTP/1.1 head deadline: the socket is destroyed unless a request head arrives within `ms` of connecting or of
 * the previous response. `arrived` stops the clock for a request, `answered` restarts it.
 */
export class HeadDeadline {
  private readonly timers = new WeakMap<Socket, NodeJS.Timeout>();
  /** Sockets whose close already stops their timer: one listener per socket, however many requests it carries. */
  private readonly watched = new WeakSet<Socket>();

  constructor(private readonly ms: number) {}

  start(socket: Socket): void {
    this.stop(socket);
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), this.ms);
    timer.unref();
    this.timers.set(socket, timer);
    if (this.watched.has(socket)) return;
    this.watched.add(socket);
    socket.once("close", () => this.stop(socket));
  }

  stop(socket: Socket): void {
    const timer = this.timers.get(socket);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(socket);
  }
}

/** An HTTP/1.1 response whose head is written before its request body was read says `connection: close`. */
function closeIfAnsweredEarly(req: AnyRequest, res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (!req.complete && !res.headersSent) res.setHeader("connection", "close");
    return writeHead(...args);
  }) as ServerResponse["writeHead"];
}

/**
 * Per HTTP/2 stream served on the core API: its request body must be complete within `requestTimeoutMs` of its
 * head, else the stream is reset with CANCEL (the connection goes on), as guardRequest does for compat requests.
 */
export function guardStreamBody(stream: ServerHttp2Stream, requestTimeoutMs: number): void {
  const timer = setTimeout(() => {
    if (!stream.readableEnded) stream.close(http2Constants.NGHTTP2_CANCEL);
  }, requestTimeoutMs);
  timer.unref();
  stream.once("close", () => clearTimeout(timer));
}

/**
 * Per request: the body must be complete within `requestTimeoutMs` of the head (else the request, and on
 * HTTP/1.1 its connection, is destroyed), unless it is `openEnded` (a client- or bidi-streaming RPC, whose
 * body lasts as long as the stream: those are bounded by the idle timeout and the stream cap); an HTTP/1.1 response finished before its request body was read closes
 * the connection, since the unread rest of the body would otherwise be parsed as the next request.
 */
export function guardRequest(req: AnyRequest, res: AnyResponse, requestTimeoutMs: number, openEnded: boolean): void {
  if (!openEnded) {
    const timer = setTimeout(() => {
      if (req.complete) return;
      // An HTTP/2 stream is reset on its own (the connection goes on); HTTP/1.1 loses its connection.
      if (req.httpVersionMajor === 2) (req as Http2ServerRequest).stream.close(http2Constants.NGHTTP2_CANCEL);
      else req.destroy();
    }, requestTimeoutMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    req.once("end", clear);
    req.once("close", clear);
    res.once("close", clear);
  }
  if (req.httpVersionMajor !== 1) return;
  closeIfAnsweredEarly(req, res as ServerResponse);
  const socket = req.socket as Socket | null;
  res.once("finish", () => {
    if (!req.complete && socket !== null && !socket.destroyed) socket.destroySoon();
  });
}
