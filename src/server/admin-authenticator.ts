/** The port the authorization interceptor uses to check an admin JWT (implemented in src/domain/admin/). */
import type { AdminPrincipal, Peer } from "../domain/peer.js";
import type { ListenerKind } from "./context.js";

/**
 * Checks `authorization: Bearer <admin JWT>` for this peer and listener. Resolves with the principal, or rejects
 * with a DomainError (`unauthenticated` when missing/invalid/not bound to this certificate).
 */
export interface AdminAuthenticator {
  authenticate(peer: Peer | undefined, authorization: string | undefined, listener: ListenerKind): Promise<AdminPrincipal>;
}
