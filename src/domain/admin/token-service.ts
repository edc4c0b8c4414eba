/** AdminTokenService: admin API key -> certificate-bound admin+jwt (ExchangeToken), and admin JWT checks per request. */
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import { DomainError, invalidField } from "../errors.js";
import { isId } from "../ids.js";
import { ADMIN, checkToken, signToken, verificationKey, type VerificationKey } from "../tokens/index.js";
import type { Signer } from "../issuer/signer.js";
import type { AdminPrincipal, Peer } from "../peer.js";
import {
  ADMIN_JWT_MAX_TTL_SECONDS,
  ADMIN_JWT_MIN_TTL_SECONDS,
  ADMIN_SCOPE,
  adminAudience,
  browserAdminAudience,
  readAdminClaims,
  type AdminJwtClaims,
} from "./admin-jwt.js";
import { apiKeyMatches } from "./api-keys.js";
import { FailureLimiter } from "./failure-limiter.js";
import type {
  AdminAuthenticator,
  AdminAuthReporter,
  AdminAuthResult,
  AdminListener,
  AdminTokenExchanger,
  AdminTokenRequest,
  BrowserAdminTokenExchanger,
  IssuedAdminToken,
} from "./ports.js";

export interface AdminTokenServiceOptions {
  /** The "iss" of admin JWTs; their audience is "<issuerUrl>/admin". */
  readonly issuerUrl: string;
  /** SHA-256 of each accepted admin API key (config.admin.apiKeyHashes). */
  readonly apiKeyHashes: readonly Uint8Array[];
  /** Lifetime ceiling, 60..900 seconds (config.admin.jwtMaxTtlSeconds). */
  readonly maxTtlSeconds: number;
  /** The admin-token key (ES256), never the issuer key. */
  readonly signer: Signer;
  readonly clock: Clock;
  /** Receives every outcome (wired to agent_identity_admin_auth_total). */
  readonly onAdminAuth?: AdminAuthReporter;
  /** Failed exchanges allowed per peer identity and window (default 5 per minute). */
  readonly failureLimit?: { readonly maxFailures: number; readonly windowMs: number };
  /** Browser-listener exchanges (BROWSER_ADMIN); absent: ExchangeToken is refused there. */
  readonly browser?: BrowserExchangeOptions;
}

export interface BrowserExchangeOptions {
  /** Lifetime of browser admin JWTs, 60..maxTtlSeconds (BROWSER_ADMIN_JWT_TTL_SECONDS, default 600). */
  readonly ttlSeconds: number;
  /** Failed exchanges allowed per client address and window (default 5 per minute). */
  readonly perClient?: { readonly maxFailures: number; readonly windowMs: number };
  /** Failed exchanges allowed from all browser clients together per window (default 30 per minute). */
  readonly global?: { readonly maxFailures: number; readonly windowMs: number };
}

/** The FailureLimiter key shared by every browser client (the global window). */
const ALL_BROWSER_CLIENTS = "browser:*";

const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

function unauthenticated(code: string, message: string, cause?: unknown): DomainError {
  return new DomainError("unauthenticated", code, message, { cause });
}

/** Issues and checks admin JWTs. One instance per process (it holds the failure window). */
export class AdminTokenService implements AdminAuthenticator, AdminTokenExchanger, BrowserAdminTokenExchanger {
  readonly #options: AdminTokenServiceOptions;
  readonly #verifyKey: VerificationKey;
  readonly #audience: string;
  readonly #browserAudience: string;
  readonly #limiter: FailureLimiter;
  readonly #browserClients: FailureLimiter;
  readonly #browserAll: FailureLimiter;
  readonly #apiKeyHashes: readonly Uint8Array[];

  constructor(options: AdminTokenServiceOptions) {
    if (options.signer.alg !== "ES256") throw new Error("the admin-token key must be an ES256 (P-256) key");
    if (options.apiKeyHashes.length === 0) throw new Error("at least one admin api key hash is required");
    if (
      !Number.isInteger(options.maxTtlSeconds) ||
      options.maxTtlSeconds < ADMIN_JWT_MIN_TTL_SECONDS ||
      options.maxTtlSeconds > ADMIN_JWT_MAX_TTL_SECONDS
    ) {
      throw new Error(`admin jwt max ttl must be ${ADMIN_JWT_MIN_TTL_SECONDS}..${ADMIN_JWT_MAX_TTL_SECONDS} seconds`);
    }
    this.#options = options;
    this.#apiKeyHashes = options.apiKeyHashes.map((h) => Uint8Array.from(h));
    this.#verifyKey = verificationKey(options.signer.publicJwk);
    this.#audience = adminAudience(options.issuerUrl);
    this.#limiter = new FailureLimiter(options.clock, options.failureLimit ?? { maxFailures: 5, windowMs: 60_000 });
    this.#browserAudience = browserAdminAudience(options.issuerUrl);
    const browser = options.browser;
    if (browser !== undefined && (browser.ttlSeconds < ADMIN_JWT_MIN_TTL_SECONDS || browser.ttlSeconds > options.maxTtlSeconds)) {
      throw new Error(`browser admin jwt ttl must be ${ADMIN_JWT_MIN_TTL_SECONDS}..${options.maxTtlSeconds} seconds`);
    }
    this.#browserClients = new FailureLimiter(options.clock, browser?.perClient ?? { maxFailures: 5, windowMs: 60_000 });
    this.#browserAll = new FailureLimiter(options.clock, browser?.global ?? { maxFailures: 30, windowMs: 60_000 });
  }

  /**
   * ExchangeToken on the browser listener: anyone holding an admin API key gets a short-lived admin JWT for the
   * browser audience, without certificate binding, `sub` "browser:<client address>". Failures are limited per
   * client address and across all browser clients; while either window is full every attempt is refused.
   */
  async exchangeForBrowser(client: string, presentedApiKey: string | undefined, requestId: string): Promise<IssuedAdminToken> {
    const browser = this.#options.browser;
    if (browser === undefined) throw new DomainError("permission_denied", "admin.browser_disabled", "browser admin is disabled");
    const key = `browser:${client}`;
    const retryAfterMs = Math.max(this.#browserClients.retryAfterMs(key) ?? 0, this.#browserAll.retryAfterMs(ALL_BROWSER_CLIENTS) ?? 0);
    if (retryAfterMs > 0) {
      throw new DomainError("resource_exhausted", "admin.exchange_rate_limited", "too many failed admin key attempts", { retryAfterMs });
    }
    const failed = (result: AdminAuthResult, error: DomainError): DomainError => {
      this.#browserClients.recordFailure(key);
      this.#browserAll.recordFailure(ALL_BROWSER_CLIENTS);
      this.#options.onAdminAuth?.(result, { identity: key, requestId, code: error.code });
      return error;
    };
    if (presentedApiKey === undefined || presentedApiKey === "") throw failed("missing", unauthenticated("admin.key_missing", "admin api key required"));
    if (!apiKeyMatches(presentedApiKey, this.#apiKeyHashes)) throw failed("api_key_invalid", unauthenticated("admin.key_invalid", "invalid admin api key"));
    const iat = Math.floor(this.#options.clock.nowMs() / 1000);
    const claims: AdminJwtClaims = {
      iss: this.#options.issuerUrl,
      aud: this.#browserAudience,
      sub: key,
      scope: ADMIN_SCOPE,
      jti: randomBytes(18).toString("base64url"),
      iat,
      exp: iat + browser.ttlSeconds,
    };
    const token = await signToken(ADMIN, this.#options.signer, claims);
    this.#options.onAdminAuth?.("token_issued", { identity: key, requestId, code: undefined });
    return { token, expiresAtMs: claims.exp * 1000, subject: key, tokenId: claims.jti };
  }

  async exchange(
    peer: Peer,
    presentedApiKey: string | undefined,
    request: AdminTokenRequest,
    requestId: string,
  ): Promise<IssuedAdminToken> {
    if (!peer.roles.has("admin")) {
      throw new DomainError("permission_denied", "admin.role_required", "the admin role is required");
    }
    const retryAfterMs = this.#limiter.retryAfterMs(peer.identity);
    if (retryAfterMs !== undefined) {
      throw new DomainError("resource_exhausted", "admin.exchange_rate_limited", "too many failed admin key attempts", {
        retryAfterMs,
      });
    }
    if (presentedApiKey === undefined || presentedApiKey === "") {
      this.#limiter.recordFailure(peer.identity);
      throw this.#report("missing", peer, requestId, unauthenticated("admin.key_missing", "admin api key required"));
    }
    if (!apiKeyMatches(presentedApiKey, this.#apiKeyHashes)) {
      this.#limiter.recordFailure(peer.identity);
      throw this.#report("api_key_invalid", peer, requestId, unauthenticated("admin.key_invalid", "invalid admin api key"));
    }
    if (!THUMBPRINT.test(peer.certThumbprint)) {
      throw unauthenticated("admin.cert_missing", "a client certificate is required to bind the admin token");
    }
    const ttlSeconds = this.#ttl(request.ttlSeconds);
    const orgId = request.orgId === undefined || request.orgId === "" ? undefined : request.orgId;
    if (orgId !== undefined && !isId("org", orgId)) throw invalidField("admin.org_id_invalid", "org_id", "must be an org id");

    const iat = Math.floor(this.#options.clock.nowMs() / 1000);
    const claims: AdminJwtClaims = {
      iss: this.#options.issuerUrl,
      aud: this.#audience,
      sub: peer.identity,
      scope: ADMIN_SCOPE,
      ...(orgId === undefined ? {} : { org_id: orgId }),
      jti: randomBytes(18).toString("base64url"),
      iat,
      exp: iat + ttlSeconds,
      cnf: { "x5t#S256": peer.certThumbprint },
    };
    const token = await signToken(ADMIN, this.#options.signer, claims);
    this.#emit("token_issued", peer, requestId, undefined);
    return {
      token,
      expiresAtMs: claims.exp * 1000,
      subject: claims.sub,
      ...(orgId === undefined ? {} : { orgId }),
      tokenId: claims.jti,
    };
  }

  async authenticate(
    peer: Peer | undefined,
    authorization: string | undefined,
    listener: AdminListener,
    requestId?: string,
  ): Promise<AdminPrincipal> {
    if (listener === "sidecar") {
      throw unauthenticated("admin.listener_refused", "admin calls are not served on this listener");
    }
    const header = authorization?.trim() ?? "";
    if (header === "") {
      throw this.#report("missing", peer, requestId, unauthenticated("admin.token_missing", "admin token required"));
    }
    const match = /^bearer\s+(\S+)$/i.exec(header);
    if (match === null) {
      const error = unauthenticated("admin.token_invalid", "authorization must be a bearer admin token");
      throw this.#report("jwt_invalid", peer, requestId, error);
    }
    const signerKid = this.#options.signer.kid;
    // One admin-token key: a token without a kid names it too.
    const checked = checkToken(ADMIN, match[1]!, (kid) => (kid === undefined || kid === signerKid ? this.#verifyKey : undefined));
    const onBrowser = listener === "browser";
    const expectation = {
      issuer: this.#options.issuerUrl,
      audience: onBrowser ? this.#browserAudience : this.#audience,
      nowMs: this.#options.clock.nowMs(),
      maxTtlSeconds: this.#options.maxTtlSeconds,
      binding: onBrowser ? ("none" as const) : ("certificate" as const),
    };
    const claims = checked.ok ? readAdminClaims(checked.claims, expectation) : { problem: checked.detail, expired: false };
    if ("problem" in claims) {
      const error = claims.expired
        ? unauthenticated("admin.token_expired", "admin token expired")
        : unauthenticated("admin.token_invalid", "invalid admin token", new Error(claims.problem));
      throw this.#report("jwt_invalid", peer, requestId, error);
    }
    if (onBrowser) {
      if (this.#options.browser === undefined) {
        throw this.#report("jwt_invalid", peer, requestId, unauthenticated("admin.listener_refused", "browser admin is disabled"));
      }
      this.#emit("jwt", peer, requestId, undefined);
      return { subject: claims.sub, orgId: claims.orgId, tokenId: claims.jti };
    }
    if (peer === undefined || peer.certThumbprint !== claims.thumbprint || peer.identity !== claims.sub) {
      const error = unauthenticated("admin.cert_mismatch", "admin token bound to another certificate");
      throw this.#report("jwt_invalid", peer, requestId, error);
    }
    if (!peer.roles.has("admin")) {
      const error = new DomainError("permission_denied", "admin.role_required", "the admin role is required");
      throw this.#report("jwt_invalid", peer, requestId, error);
    }
    this.#emit("jwt", peer, requestId, undefined);
    return { subject: claims.sub, orgId: claims.orgId, tokenId: claims.jti };
  }

  #ttl(requested: number | undefined): number {
    const max = this.#options.maxTtlSeconds;
    if (requested === undefined || requested === 0) return max;
    if (!Number.isInteger(requested) || requested < ADMIN_JWT_MIN_TTL_SECONDS || requested > max) {
      throw invalidField("admin.ttl_invalid", "ttl_seconds", `must be ${ADMIN_JWT_MIN_TTL_SECONDS}..${max} (0 means ${max})`);
    }
    return requested;
  }

  #emit(result: AdminAuthResult, peer: Peer | undefined, requestId: string | undefined, code: string | undefined): void {
    this.#options.onAdminAuth?.(result, { identity: peer?.identity, requestId, code });
  }

  #report(result: AdminAuthResult, peer: Peer | undefined, requestId: string | undefined, error: DomainError): DomainError {
    this.#emit(result, peer, requestId, error.code);
    return error;
  }
}
