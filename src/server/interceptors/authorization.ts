/** Authorization interceptor: the fail-closed method tables (mTLS and browser), peer roles, and the admin JWT check. */
import type { Interceptor } from "@connectrpc/connect";
import { DomainError } from "../../domain/errors.js";
import type { Peer } from "../../domain/peer.js";
import type { Logger } from "../../telemetry/logger.js";
import type { AdminAuthenticator } from "../admin-authenticator.js";
import type { AuthorizationTable, MethodRule } from "../authorization-table.js";
import type { BrowserMethodTable } from "../browser-table.js";
import { adminPrincipalKey, listenerKey, peerKey, peerRefusalKey, requestIdKey } from "../context.js";
import { fullMethodName } from "./stream.js";

export interface AuthorizationOptions {
  readonly table: AuthorizationTable;
  /** The browser listener's own table; a method missing from it is refused there. */
  readonly browserTable: BrowserMethodTable;
  readonly adminAuthenticator: AdminAuthenticator;
  readonly logger: Logger;
}

function notPermitted(): DomainError {
  return new DomainError("permission_denied", "auth.method_not_permitted", "method not permitted");
}

/**
 * On the browser listener: a method missing from the browser table is refused (PERMISSION_DENIED,
 * auth.method_not_permitted); "admin-jwt" methods need a valid browser-audience admin JWT. Elsewhere, in order: a
 * method missing from the table (PERMISSION_DENIED, logged at error level); on the mTLS listener, a client
 * certificate without a usable identity (UNAUTHENTICATED); a peer without a granted role (PERMISSION_DENIED); a
 * missing or invalid admin JWT where one is required (the authenticator's error). An optional admin JWT is checked
 * when present. The admin principal goes into the context.
 */
export function authorizationInterceptor(options: AuthorizationOptions): Interceptor {
  const { table, browserTable, adminAuthenticator, logger } = options;
  return (next) => async (req) => {
    const method = fullMethodName(req);
    const listener = req.contextValues.get(listenerKey);
    const requestId = req.contextValues.get(requestIdKey);
    const authorization = req.header.get("authorization") ?? undefined;
    if (listener === "browser") {
      const rule = browserTable.get(method);
      if (rule === undefined) {
        logger.info({ requestId, method }, "method not in the browser table: refused");
        throw notPermitted();
      }
      if (rule.access === "admin-jwt") {
        req.contextValues.set(adminPrincipalKey, await adminAuthenticator.authenticate(undefined, authorization, listener));
      }
      return next(req);
    }
    const rule = table.get(method);
    if (rule === undefined) {
      logger.error({ requestId, method, listener }, "method missing from the authorization table: refused");
      throw notPermitted();
    }
    const peer = req.contextValues.get(peerKey);
    if (listener === "mtls" && peer === undefined) {
      const reason = req.contextValues.get(peerRefusalKey) ?? "no peer identity";
      logger.info({ requestId, method, reason }, "client certificate refused");
      throw new DomainError("unauthenticated", "auth.certificate_refused", `client certificate refused: ${reason}`);
    }
    if (!granted(rule, peer)) throw new DomainError("permission_denied", "auth.role_required", "peer lacks a role granted this method");
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
