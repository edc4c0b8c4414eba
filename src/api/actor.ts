/** Builds the domain Actor (who is calling, for authorization and audit) from a request's context values. */
import type { HandlerContext } from "@connectrpc/connect";
import type { Actor } from "../domain/peer.js";
import { adminPrincipalKey, peerKey, requestIdKey } from "./context-keys.js";

export function actorOf(ctx: HandlerContext): Actor {
  const peer = ctx.values.get(peerKey);
  const admin = ctx.values.get(adminPrincipalKey);
  return {
    identity: admin?.subject ?? peer?.identity ?? "anonymous",
    requestId: ctx.values.get(requestIdKey),
    admin,
    peer,
  };
}
