/**
 * The admin module: admin API keys, their exchange for admin JWTs (certificate-bound on the mTLS port,
 * browser-audience on the browser port; audited), and the admin JWT check of every admin call.
 */
import type { Clock } from "../clock.js";
import type { Signer } from "../keys/index.js";
import { AuditedTokenExchanger } from "./audited-exchange.js";
import type { AdminAuthReporter, AdminTokenExchanger, BrowserAdminTokenExchanger } from "./auth-types.js";
import type { AdminUnitOfWork } from "./ports.js";
import { AdminTokenService, type BrowserExchangeOptions } from "./token-service.js";

export { hashAdminApiKey, MIN_ADMIN_API_KEY_LENGTH, PLACEHOLDER_ADMIN_API_KEY } from "./api-keys.js";
export type { AdminAuthResult, AdminTokenExchanger, BrowserAdminTokenExchanger, IssuedAdminToken } from "./auth-types.js";
export { AdminTokenService } from "./token-service.js";

interface AdminDeps {
  /** The "iss" of admin JWTs; their audience is "<issuerUrl>/admin". */
  readonly issuerUrl: string;
  /** SHA-256 of each accepted admin API key. */
  readonly apiKeyHashes: readonly Uint8Array[];
  readonly maxTtlSeconds: number;
  /** The admin-token key (ES256), never the issuer key. */
  readonly signer: Signer;
  readonly clock: Clock;
  readonly uow: AdminUnitOfWork;
  readonly onAdminAuth?: AdminAuthReporter;
  /** Browser-listener exchanges (BROWSER_ADMIN); absent: ExchangeToken is refused there. */
  readonly browser?: BrowserExchangeOptions;
}

interface Admin {
  /** Checks the admin JWT of each admin call (the server's AdminAuthenticator). */
  readonly authenticator: AdminTokenService;
  /** ExchangeToken: hands a token out only after its "admin.token_issued" event committed. */
  readonly exchanger: AdminTokenExchanger & BrowserAdminTokenExchanger;
}

export function createAdmin(deps: AdminDeps): Admin {
  const { uow, ...options } = deps;
  const authenticator = new AdminTokenService(options);
  return { authenticator, exchanger: new AuditedTokenExchanger(authenticator, uow, deps.clock) };
}
