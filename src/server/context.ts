/** Typed context keys (peer, request id, admin principal, listener) and the per-connection peer derivation. */
import type { Http2ServerRequest } from "node:http2";
import type { IncomingMessage } from "node:http";
import { TLSSocket } from "node:tls";
import { createContextKey, createContextValues } from "@connectrpc/connect";
import type { ContextValues } from "@connectrpc/connect";
import type { AdminPrincipal, Peer } from "../domain/peer.js";
import { derivePeer } from "./peer-identity.js";
import type { PeerConfig, PeerIdentityResult } from "./peer-identity.js";

/** Which listener a request arrived on. */
export type ListenerKind = "mtls" | "browser" | "sidecar";

/** The verified peer; undefined on listeners without client certificates or when it has no usable identity. */
export const peerKey = createContextKey<Peer | undefined>(undefined, { description: "peer" });
/** Why the client certificate gave no peer (for logs and the refusal), when it did not. */
export const peerRefusalKey = createContextKey<string | undefined>(undefined, { description: "peer refusal" });
/** The request id (accepted from x-request-id or generated); set by the request id interceptor. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });
/** The admin authenticated by an admin JWT on this request; set by the authorization interceptor. */
export const adminPrincipalKey = createContextKey<AdminPrincipal | undefined>(undefined, { description: "admin principal" });
export const listenerKey = createContextKey<ListenerKind>("mtls", { description: "listener" });

/**
 * Builds the `contextValues` function for `connectNodeAdapter` on one listener. On TLS listeners the peer is
 * derived from the client certificate once per TLS socket (cached in a WeakMap) and shared by every request and
 * HTTP/2 stream on that connection.
 */
export function contextValuesFor(listener: ListenerKind, peers: PeerConfig): (req: IncomingMessage | Http2ServerRequest) => ContextValues {
  const cache = new WeakMap<TLSSocket, PeerIdentityResult>();
  return (req) => {
    const values = createContextValues().set(listenerKey, listener);
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
