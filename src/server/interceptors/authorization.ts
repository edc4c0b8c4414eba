/** Authorization interceptor: the fail-closed method table, peer roles, and the admin JWT check. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import type { Peer } from "../../domain/peer.js";
import type { Logger } from "../../telemetry/logger.js";
import type { AdminAuthenticator } from "../admin-authenticator.js";
import type { AuthorizationTable, MethodRule } from "../authorization-table.js";
import { adminPrincipalKey, listenerKey, peerKey, peerRefusalKey, requestIdKey } from "../context.js";
import { fullMethodName } from "./stream.js";

export interface AuthorizationOptions {
  readonly table: AuthorizationTable;
  readonly adminAuthenticator: AdminAuthenticator;
  readonly logger: Logger;
}

/**
 * Refuses, in order: a method missing from the table (PERMISSION_DENIED, logged at error level); on the mTLS
 * listener, a client certificate without a usable identity (UNAUTHENTICATED); a peer without a granted role
 * (PERMISSION_DENIED); on the browser listener, a method not marked `browser`; a missing or invalid admin JWT
 * where one is required (the authenticator's error). An optional admin JWT is checked when present. The admin
 * principal goes into the context.
 */
export function authorizationInterceptor(options: AuthorizationOptions): Interceptor {
  const { table, adminAuthenticator, logger } = options;
  return (next) => async (req) => {
    const method = fullMethodName(req);
    const rule = table.get(method);
    const listener = req.contextValues.get(listenerKey);
    const requestId = req.contextValues.get(requestIdKey);
    if (rule === undefined) {
      logger.error({ requestId, method, listener }, "method missing from the authorization table: refused");
      throw new ConnectError("method not permitted", Code.PermissionDenied);
    }
    const peer = req.contextValues.get(peerKey);
    if (listener === "mtls" && peer === undefined) {
      const reason = req.contextValues.get(peerRefusalKey) ?? "no peer identity";
      logger.info({ requestId, method, reason }, "client certificate refused");
      throw new ConnectError(`client certificate refused: ${reason}`, Code.Unauthenticated);
    }
    if (listener === "browser") {
      if (rule.browser !== true) throw new ConnectError("method not available on this listener", Code.PermissionDenied);
    } else if (!granted(rule, peer)) {
      throw new ConnectError("peer lacks a role granted this method", Code.PermissionDenied);
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
