/** Authorization interceptor: the fail-closed method tables (mTLS and browser), peer roles, and the admin JWT check. */
import type { Interceptor } from "@connectrpc/connect";
import { refusal } from "../../domain/errors.js";
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

/**
 * Refuses with catalogued domain errors (src/domain/errors.ts). On the browser listener: a method missing from the
 * browser table (auth.method_not_permitted); "admin-jwt" methods need a valid browser-audience admin JWT.
 * Elsewhere, in order: a method missing from the table (auth.method_not_permitted, and an error log line: a
 * deployment bug); on the mTLS listener, a client certificate without a usable identity (auth.certificate_refused:
 * the reason is logged, not sent); a peer without a granted role (auth.role_required); a missing or invalid admin
 * JWT where one is required (the authenticator's error). An optional admin JWT is checked when present. The admin
 * principal goes into the context.
 */
export function authorizationInterceptor(options: AuthorizationOptions): Interceptor {
  const { table, browserTable, adminAuthenticator, logger } = options;
  return (next) => async (req) => {
    const method = fullMethodName(req);
    const listener = req.contextValues.get(listenerKey);
    const authorization = req.header.get("authorization") ?? undefined;
    if (listener === "browser") {
      const rule = browserTable.get(method);
      if (rule === undefined) throw refusal("auth.method_not_permitted", `${method} is not in the browser table`);
      if (rule.access === "admin-jwt") {
        req.contextValues.set(adminPrincipalKey, await adminAuthenticator.authenticate(undefined, authorization, listener));
      }
      return next(req);
    }
    const rule = table.get(method);
    if (rule === undefined) {
      logger.error({ requestId: req.contextValues.get(requestIdKey), method, listener }, "method missing from the authorization table: refused");
      throw refusal("auth.method_not_permitted", `${method} is missing from the authorization table`);
    }
    const peer = req.contextValues.get(peerKey);
    if (listener === "mtls" && peer === undefined) {
      throw refusal("auth.certificate_refused", req.contextValues.get(peerRefusalKey) ?? "no peer identity");
    }
    if (!granted(rule, peer)) throw refusal("auth.role_required");
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
