/** Typed context keys the interceptors fill and the handlers read: peer, request id, admin principal, listener. */
import { createContextKey } from "@connectrpc/connect";
import type { AdminPrincipal, Peer } from "../domain/peer.js";

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
/** The client's network address on the browser listener (its rate-limit key and browser token subject). */
export const clientAddressKey = createContextKey<string>("", { description: "client address" });
