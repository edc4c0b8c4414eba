/**
 * Tracks a listener's sockets, HTTP/2 sessions and in-flight requests, so shutdown can drain then close them, and
 * applies the listener's connection limits (connection-guard.ts) to each.
 */
import type { Server as NetServer, Socket } from "node:net";
import type { Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import type { TLSSocket } from "node:tls";
import { CONNECTION_LIMIT_DEFAULTS } from "../config/connection-limits.js";
import {
  closeSessionWhenIdle,
  closeWhenIdle,
  guardRequest,
  guardStreamBody,
  HeadDeadline,
  PeerConnectionCounter,
  type ConnectionLimits,
} from "./connection-guard.js";
import type { AnyRequest, AnyResponse, StreamServe } from "./http-types.js";

/** A request listener usable by node:http and node:http2 servers (what connectNodeAdapter returns). */
export type NodeHandler = (req: AnyRequest, res: AnyResponse) => void;
type Handler = NodeHandler;

export class ConnectionTracker {
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();
  private readonly http2Sockets = new WeakSet<Socket>();
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];
  private draining = false;
  private readonly peers: PeerConnectionCounter;
  private readonly heads: HeadDeadline;

  /**
   * @param openEndedPaths request paths ("/package.Service/Method") of client- and bidi-streaming RPCs, whose
   * request bodies stay open for the stream's life and so get no request timeout.
   */
  constructor(
    readonly limits: ConnectionLimits = CONNECTION_LIMIT_DEFAULTS,
    private readonly openEndedPaths: ReadonlySet<string> = new Set(),
  ) {
    this.peers = new PeerConnectionCounter(limits.maxConnectionsPerPeer);
    this.heads = new HeadDeadline(limits.headersTimeoutMs);
  }

  /**
   * Follows every socket the server accepts (TLS sockets through secureConnection, plain ones through connection);
   * a TCP connection beyond the per-peer cap is closed before anything else happens to it.
   */
  trackServer(server: NetServer, event: "connection" | "secureConnection"): void {
    server.prependListener("connection", (raw: Socket) => {
      this.peers.admit(raw);
    });
    server.on(event, (socket: Socket) => {
      if (socket.destroyed) return;
      this.trackSocket(socket);
      if (event === "secureConnection" && (socket as TLSSocket).alpnProtocol === "h2") this.markHttp2(socket);
    });
  }

  /** Marks a socket that carries an HTTP/2 session (closed through its session, not as idle HTTP/1.1). */
  markHttp2(socket: Socket): void {
    this.http2Sockets.add(socket);
    this.heads.stop(socket);
    socket.setTimeout(0);
  }

  /** Follows a socket; until it is marked HTTP/2 it must send a request head in time and it closes when idle. */
  trackSocket(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    closeWhenIdle(socket, this.limits.idleTimeoutMs);
    this.heads.start(socket);
  }

  trackSession(session: Http2Session): void {
    closeSessionWhenIdle(session, this.limits.idleTimeoutMs);
    this.sessions.add(session);
    session.once("close", () => {
      this.sessions.delete(session);
      this.wakeDrained();
    });
    if (this.draining) session.close();
  }

  /** Wraps a request handler to count in-flight requests; during drain HTTP/1.1 responses close their connection. */
  wrap<H extends Handler>(handler: H): H {
    const wrapped = (req: AnyRequest, res: AnyResponse): void => {
      this.inFlight++;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        this.release();
      };
      res.once("close", finish);
      res.once("finish", finish);
      guardRequest(req, res, this.limits.requestTimeoutMs, this.openEndedPaths.has((req.url ?? "").split("?")[0]!));
      if (req.httpVersionMajor === 1) {
        const socket = req.socket;
        this.heads.stop(socket);
        res.once("finish", () => this.heads.start(socket));
      }
      if (this.draining && req.httpVersionMajor === 1 && !res.headersSent) res.setHeader("connection", "close");
      handler(req, res);
    };
    return wrapped as H;
  }

  /**
   * Serves an HTTP/2 stream on the core API (stream-front.ts) under the same rules as a wrapped request: counted in
   * flight until the stream closes, its body bounded by the request timeout unless its path is open-ended.
   */
  serveStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, serve: StreamServe): void {
    this.inFlight++;
    stream.once("close", () => this.release());
    const path = headers[":path"] ?? "";
    const query = path.indexOf("?");
    if (!this.openEndedPaths.has(query === -1 ? path : path.slice(0, query))) guardStreamBody(stream, this.limits.requestTimeoutMs);
    serve(stream, headers);
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Stops new streams: GOAWAY on every HTTP/2 session; idle HTTP/1.1 keep-alive sockets are closed. */
  startDrain(): void {
    this.draining = true;
    for (const s of this.sessions) s.close();
    if (this.inFlight === 0) this.destroyIdleHttp1();
  }

  /**
   * After startDrain: resolves when no request is in flight and every HTTP/2 session has closed (a draining session
   * closes on its own once its streams have ended and its last frames are written, so the last calls' answers are
   * not cut off by destroyAll), or when `signal` aborts.
   */
  async drained(signal: AbortSignal): Promise<void> {
    if (this.isDrained() || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.drainWaiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Destroys every session and socket still open. */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
    for (const s of this.sockets) s.destroy();
  }

  /** One request or stream is no longer in flight. */
  private release(): void {
    this.inFlight--;
    if (this.inFlight !== 0) return;
    if (this.draining) this.destroyIdleHttp1();
    this.wakeDrained();
  }

  private isDrained(): boolean {
    return this.inFlight === 0 && this.sessions.size === 0;
  }

  private wakeDrained(): void {
    if (!this.isDrained()) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Sockets not marked HTTP/2 are HTTP/1.1; once nothing is in flight they are idle. */
  private destroyIdleHttp1(): void {
    for (const s of this.sockets) if (!this.http2Sockets.has(s)) s.destroy();
  }
}
