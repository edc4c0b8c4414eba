/** The admin JWT for the CLI: exchanged on first use, refreshed before it expires, never printed. */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export interface ExchangedToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

export type ExchangeFn = () => Promise<ExchangedToken>;

/** Refresh when less than this remains (or a fifth of the lifetime, whichever is larger). */
export const REFRESH_MARGIN_MS = 60_000;

export class AdminTokenSource {
  private current: ExchangedToken | undefined;
  private pending: Promise<ExchangedToken> | undefined;
  private issuedAtMs = 0;
  /** How many exchanges were made (the first one plus refreshes). */
  exchanges = 0;

  constructor(
    private readonly exchange: ExchangeFn,
    private readonly nowMs: () => number = Date.now,
  ) {}

  private fresh(t: ExchangedToken): boolean {
    const margin = Math.max(REFRESH_MARGIN_MS, (t.expiresAtMs - this.issuedAtMs) / 5);
    return this.nowMs() < t.expiresAtMs - margin;
  }

  /** A token valid for at least the refresh margin; concurrent callers share one exchange. */
  async token(): Promise<string> {
    if (this.current !== undefined && this.fresh(this.current)) return this.current.token;
    return (await this.refresh()).token;
  }

  /** Exchanges again now (also used when the server says the token expired, e.g. under clock skew). */
  refresh(): Promise<ExchangedToken> {
    this.pending ??= (async () => {
      try {
        const startedAt = this.nowMs();
        const t = await this.exchange();
        this.exchanges += 1;
        this.issuedAtMs = startedAt;
        this.current = t;
        return t;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

function expiredToken(e: unknown): boolean {
  return e instanceof ConnectError && e.code === Code.Unauthenticated && e.metadata.get("x-error-code") === "admin.token_expired";
}

/**
 * Adds "authorization: Bearer <admin JWT>" to admin calls (not to ExchangeToken or the Verifier). A unary call the
 * server refuses with admin.token_expired is retried once with a fresh token: it was refused before it ran.
 */
export function adminBearer(source: AdminTokenSource): Interceptor {
  return (next) => async (req) => {
    const service = req.service.typeName;
    const needsToken = service !== "agentidentity.v1.VerifierService" && req.method.name !== "ExchangeToken";
    if (!needsToken) return next(req);
    req.header.set("authorization", `Bearer ${await source.token()}`);
    if (req.stream) return next(req);
    try {
      return await next(req);
    } catch (e) {
      if (!expiredToken(e)) throw e;
      req.header.set("authorization", `Bearer ${(await source.refresh()).token}`);
      return next(req);
    }
  };
}
