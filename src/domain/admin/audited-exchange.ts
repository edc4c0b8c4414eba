/**
 * Token exchange that is audited: the token is handed out only after its "admin.token_issued" event commits; on the
 * browser listener a refused API key also writes "admin.token_refused" (rate-limited attempts are only counted).
 */
import type { Clock } from "../clock.js";
import { isDomainError } from "../errors.js";
import { newId } from "../ids.js";
import type { Peer } from "../peer.js";
import type { UnitOfWork } from "../storage.js";
import type { AdminTokenExchanger, AdminTokenRequest, BrowserAdminTokenExchanger, IssuedAdminToken } from "./ports.js";

export class AuditedTokenExchanger implements AdminTokenExchanger, BrowserAdminTokenExchanger {
  constructor(
    private readonly inner: AdminTokenExchanger & BrowserAdminTokenExchanger,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  async exchange(peer: Peer, presentedApiKey: string | undefined, request: AdminTokenRequest, requestId: string): Promise<IssuedAdminToken> {
    const issued = await this.inner.exchange(peer, presentedApiKey, request, requestId);
    await this.#recordIssued(peer.identity, issued, requestId);
    return issued;
  }

  async exchangeForBrowser(client: string, presentedApiKey: string | undefined, requestId: string): Promise<IssuedAdminToken> {
    let issued: IssuedAdminToken;
    try {
      issued = await this.inner.exchangeForBrowser(client, presentedApiKey, requestId);
    } catch (e) {
      if (isDomainError(e) && e.kind === "unauthenticated") await this.#recordRefused(`browser:${client}`, e.code, requestId);
      throw e;
    }
    await this.#recordIssued(issued.subject, issued, requestId);
    return issued;
  }

  async #recordIssued(actor: string, issued: IssuedAdminToken, requestId: string): Promise<void> {
    await this.uow.run(async (tx) => {
      tx.audit.record({
        id: newId("evt"),
        timeMs: this.clock.nowMs(),
        actor,
        action: "admin.token_issued",
        target: issued.subject,
        orgId: issued.orgId,
        requestId,
        // The token itself is a secret: only its id and expiry are recorded.
        details: { token_id: issued.tokenId, expires_at_ms: issued.expiresAtMs, org_id: issued.orgId ?? "" },
      });
    });
  }

  async #recordRefused(actor: string, code: string, requestId: string): Promise<void> {
    await this.uow.run(async (tx) => {
      tx.audit.record({
        id: newId("evt"),
        timeMs: this.clock.nowMs(),
        actor,
        action: "admin.token_refused",
        target: actor,
        orgId: undefined,
        requestId,
        // The presented key is never recorded, only why it was refused.
        details: { code },
      });
    });
  }
}
