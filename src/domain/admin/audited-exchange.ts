/** Token exchange that is audited: the token is handed out only after its "admin.token_issued" event commits. */
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import type { Peer } from "../peer.js";
import type { AdminTokenExchanger, AdminTokenRequest, IssuedAdminToken } from "./auth-types.js";
import type { AdminUnitOfWork } from "./ports.js";

export class AuditedTokenExchanger implements AdminTokenExchanger {
  constructor(
    private readonly inner: AdminTokenExchanger,
    private readonly uow: AdminUnitOfWork,
    private readonly clock: Clock,
  ) {}

  async exchange(peer: Peer, presentedApiKey: string | undefined, request: AdminTokenRequest, requestId: string): Promise<IssuedAdminToken> {
    const issued = await this.inner.exchange(peer, presentedApiKey, request, requestId);
    await this.uow.run(async (tx) => {
      tx.audit.record({
        id: newId("evt"),
        timeMs: this.clock.nowMs(),
        actor: peer.identity,
        action: "admin.token_issued",
        target: issued.subject,
        orgId: issued.orgId,
        requestId,
        // The token itself is a secret: only its id and expiry are recorded.
        details: { token_id: issued.tokenId, expires_at_ms: issued.expiresAtMs, org_id: issued.orgId ?? "" },
      });
    });
    return issued;
  }
}
