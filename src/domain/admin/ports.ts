/** The admin-authentication ports: what the server calls (authenticate, exchange) and the result callback. */
import type { AdminPrincipal, Peer } from "../peer.js";

/** Which listener a request arrived on (mirrors the server's listener kinds). */
export type AdminListener = "mtls" | "browser" | "sidecar";

/** Outcomes counted by agent_identity_admin_auth_total{result}. */
export type AdminAuthResult = "token_issued" | "jwt" | "jwt_invalid" | "missing" | "api_key_invalid";

/** Context passed with each outcome, for logs (never a key or token). */
export interface AdminAuthEvent {
  /** The presenting peer's identity, when there is one. */
  readonly identity: string | undefined;
  readonly requestId: string | undefined;
  /** The DomainError code on failure. */
  readonly code: string | undefined;
}

/** Receives every admin-authentication outcome; app.ts wires it to the metric (and optionally the log). */
export type AdminAuthReporter = (result: AdminAuthResult, event: AdminAuthEvent) => void;

/** Checks `authorization: Bearer <admin JWT>` for this peer and listener. */
export interface AdminAuthenticator {
  /**
   * @returns the principal of a valid admin JWT bound to this peer's certificate.
   * @throws DomainError unauthenticated (admin.token_missing, admin.token_invalid, admin.token_expired,
   *   admin.cert_mismatch, admin.listener_refused) or permission_denied (admin.role_required).
   */
  authenticate(peer: Peer | undefined, authorization: string | undefined, listener: AdminListener): Promise<AdminPrincipal>;
}

/** An ExchangeToken request after transport decoding (empty strings and 0 already mean "unset" or not). */
export interface AdminTokenRequest {
  /** Restrict the token to one organisation ("" or undefined: unrestricted). */
  readonly orgId?: string;
  /** Requested lifetime, 60..max; 0 or undefined: the maximum. */
  readonly ttlSeconds?: number;
}

export interface IssuedAdminToken {
  /** The compact admin+jwt. */
  readonly token: string;
  readonly expiresAtMs: number;
  /** The token's sub: the exchanging peer's identity. */
  readonly subject: string;
  readonly orgId?: string;
  /** The token's jti. */
  readonly tokenId: string;
}

/** AdminService.ExchangeToken: an admin-role peer trades an admin API key for a certificate-bound admin JWT. */
export interface AdminTokenExchanger {
  /**
   * @throws DomainError permission_denied (admin.role_required), resource_exhausted
   *   (admin.exchange_rate_limited, with retryAfterMs), unauthenticated (admin.key_missing, admin.key_invalid),
   *   invalid_argument (admin.ttl_invalid, admin.org_id_invalid), or the signer's unavailable error.
   */
  exchange(peer: Peer, presentedApiKey: string | undefined, request: AdminTokenRequest, requestId: string): Promise<IssuedAdminToken>;
}

/** AdminService.ExchangeToken on the browser listener: an admin API key for a browser-audience admin JWT. */
export interface BrowserAdminTokenExchanger {
  /**
   * @param client the client's network address (the rate-limit key and the token's "browser:<address>" subject).
   * @throws DomainError permission_denied (admin.browser_disabled), resource_exhausted (admin.exchange_rate_limited,
   *   with retryAfterMs), unauthenticated (admin.key_missing, admin.key_invalid), or the signer's unavailable error.
   */
  exchangeForBrowser(client: string, presentedApiKey: string | undefined, requestId: string): Promise<IssuedAdminToken>;
}
