/** Authorization interceptor: the fail-closed method table, peer roles, and the admin JWT check. */
import type { Interceptor } from "@connectrpc/connect";
import { refusal } from "../../domain/errors.js";
import type { Peer } from "../../domain/peer.js";
import type { AdminAuthenticator } from "../admin-authenticator.js";
import type { AuthorizationTable, MethodRule } from "../authorization-table.js";
import { adminPrincipalKey, listenerKey, peerKey, peerRefusalKey } from "../context.js";
import { fullMethodName } from "./stream.js";

export interface AuthorizationOptions {
  readonly table: AuthorizationTable;
  readonly adminAuthenticator: AdminAuthenticator;
}

/**
 * Refuses, in order, with catalogued domain errors (src/domain/errors.ts): a method missing from the table
 * (auth.method_not_listed, logged at error level); on the mTLS listener, a client certificate without a usable
 * identity (auth.peer_refused: the reason is logged, not sent); a peer without a granted role
 * (auth.role_missing); on the browser listener, a method not marked `browser` (auth.listener_refused); a
 * missing or invalid admin JWT where one is required (the authenticator's error). An optional admin JWT is
 * checked when present. The admin principal goes into the context.
 */
export function authorizationInterceptor(options: AuthorizationOptions): Interceptor {
  const { table, adminAuthenticator } = options;
  return (next) => async (req) => {
    const method = fullMethodName(req);
    const rule = table.get(method);
    const listener = req.contextValues.get(listenerKey);
    if (rule === undefined) throw refusal("auth.method_not_listed", `${method} is missing from the authorization table`);
    const peer = req.contextValues.get(peerKey);
    if (listener === "mtls" && peer === undefined) {
      throw refusal("auth.peer_refused", req.contextValues.get(peerRefusalKey) ?? "no peer identity");
    }
    if (listener === "browser") {
      if (rule.browser !== true) throw refusal("auth.listener_refused");
    } else if (!granted(rule, peer)) {
      throw refusal("auth.role_missing");
    }
    const authorization = req.header.get("authorization") ?? undefined;
    if (rule.adminJwt === "required" || (rule.adminJwt === "optional" && authorization !== undefined)) {
      const principal = await adminAuthenticator.authenticate(peer, authorization, listener);
      req.contextValues.set(adminPrincipalKey, principal);
    }
    return next(req);
  };
}

function granted(rule: MethodRule, peer: Peer | undefined): boolean {
  if (rule.roles === "anyone") return true;
  if (peer === undefined) return false;
  if (rule.roles === "any-authenticated") return true;
  return rule.roles.some((role) => peer.roles.has(role));
}
