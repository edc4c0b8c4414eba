/** Typed context keys (peer, request id, admin principal, listener) and the per-connection peer derivation. */
import type { Http2ServerRequest } from "node:http2";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
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

/** The context values of a call, from the socket of its connection (an HTTP/2 session's socket for a stream). */
export type ConnectionContextValues = (socket: Socket | undefined) => ContextValues;

/**
 * Builds the context values of one listener's calls from their connection's socket. On TLS listeners the peer is
 * derived from the client certificate once per TLS socket (cached in a WeakMap) and shared by every request and
 * HTTP/2 stream on that connection.
 */
export function connectionContextValues(listener: ListenerKind, peers: PeerConfig): ConnectionContextValues {
  const cache = new WeakMap<TLSSocket, PeerIdentityResult>();
  return (socket) => {
    const values = createContextValues().set(listenerKey, listener);
    if (listener === "browser") return values.set(clientAddressKey, socket?.remoteAddress ?? "unknown");
    if (listener !== "mtls") return values;
    if (!(socket instanceof TLSSocket)) return values.set(peerRefusalKey, "connection is not tls");
    let result = cache.get(socket);
    if (result === undefined) {
      result = peerOfSocket(socket, peers);
      cache.set(socket, result);
    }
    return result.ok ? values.set(peerKey, result.peer) : values.set(peerRefusalKey, result.reason);
  };
}

/** The `contextValues` function for `connectNodeAdapter`: the values of the request's connection. */
export function requestContextValues(ofConnection: ConnectionContextValues): (req: IncomingMessage | Http2ServerRequest) => ContextValues {
  return (req) => ofConnection(socketOf(req));
}

/** The socket under an HTTP/1.1 request or an HTTP/2 stream (the session's socket). */
function socketOf(req: IncomingMessage | Http2ServerRequest): Socket | undefined {
  return "stream" in req ? req.stream.session?.socket : req.socket;
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
