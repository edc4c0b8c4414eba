/** Typed context keys (peer, request id, admin principal, listener) and the per-connection peer derivation. */
import type { Http2ServerRequest } from "node:http2";
import type { IncomingMessage } from "node:http";
import { TLSSocket } from "node:tls";
import { createContextValues } from "@connectrpc/connect";
import type { ContextValues } from "@connectrpc/connect";
import { derivePeer } from "./peer-identity.js";
import type { PeerConfig, PeerIdentityResult } from "./peer-identity.js";

import {
  adminPrincipalKey,
  clientAddressKey,
  listenerKey,
  peerKey,
  peerRefusalKey,
  requestIdKey,
  type ListenerKind,
} from "../api/context-keys.js";

// The keys live with the handlers that read them (server -> api); re-exported for the server's own modules.
export { adminPrincipalKey, clientAddressKey, listenerKey, peerKey, peerRefusalKey, requestIdKey, type ListenerKind };

/**
 * Builds the `contextValues` function for `connectNodeAdapter` on one listener. On TLS listeners the peer is
 * derived from the client certificate once per TLS socket (cached in a WeakMap) and shared by every request and
 * HTTP/2 stream on that connection.
 */
export function contextValuesFor(listener: ListenerKind, peers: PeerConfig): (req: IncomingMessage | Http2ServerRequest) => ContextValues {
  const cache = new WeakMap<TLSSocket, PeerIdentityResult>();
  return (req) => {
    const values = createContextValues().set(listenerKey, listener);
    if (listener === "browser") return values.set(clientAddressKey, clientAddressOf(req));
    if (listener !== "mtls") return values;
    const socket = tlsSocketOf(req);
    if (socket === undefined) return values.set(peerRefusalKey, "connection is not tls");
    let result = cache.get(socket);
    if (result === undefined) {
      result = peerOfSocket(socket, peers);
      cache.set(socket, result);
    }
    return result.ok ? values.set(peerKey, result.peer) : values.set(peerRefusalKey, result.reason);
  };
}

/** The remote address of the connection (the proxy's, behind a reverse proxy: one shared key for all its clients). */
function clientAddressOf(req: IncomingMessage | Http2ServerRequest): string {
  const socket = "stream" in req ? req.stream.session?.socket : req.socket;
  return socket?.remoteAddress ?? "unknown";
}

/** The TLS socket under an HTTP/1.1 request or an HTTP/2 stream. */
export function tlsSocketOf(req: IncomingMessage | Http2ServerRequest): TLSSocket | undefined {
  const socket = "stream" in req ? req.stream.session?.socket : req.socket;
  return socket instanceof TLSSocket ? socket : undefined;
}

/** Derives the peer of an authorized TLS socket; unauthorized sockets or missing certificates have none. */
export function peerOfSocket(socket: TLSSocket, peers: PeerConfig): PeerIdentityResult {
  if (!socket.authorized) return { ok: false, reason: `client certificate not verified: ${String(socket.authorizationError ?? "none")}` };
  const cert = socket.getPeerCertificate(false);
  if (cert === null || typeof cert !== "object" || !("raw" in cert) || cert.raw === undefined) {
    return { ok: false, reason: "no client certificate" };
  }
  return derivePeer(cert.raw, peers);
}
