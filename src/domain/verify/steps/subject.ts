/** Step 3: who the presented credential or session token speaks for (SubjectResolver). */
import type { CredentialChecker } from "../ports.js";
import type { RefusalCode } from "../reasons.js";
import type { SessionTokens } from "../session.js";

/** Who a credential or session token speaks for. */
export interface Subject {
  readonly kind: "credential" | "session";
  readonly agentId: string;
  readonly orgId: string;
  readonly jkt: string;
  readonly capHash: string;
  /** Session scopes (undefined for a credential: the manifest's scopes apply). */
  readonly sessionScopes: readonly string[] | undefined;
  readonly sessionId: string | undefined;
}

export type Presented = { readonly kind: "credential" | "session"; readonly token: string };

export type SubjectResult = { readonly ok: true; readonly subject: Subject } | { readonly ok: false; readonly reason: RefusalCode };

export class SubjectResolver {
  constructor(
    private readonly credentials: CredentialChecker,
    private readonly sessions: SessionTokens,
  ) {}

  /** Checks the credential (issuer keys, cached) or the session token (the session key, for this caller). */
  async resolve(presented: Presented, caller: string): Promise<SubjectResult> {
    if (presented.kind === "credential") {
      const r = await this.credentials.check(presented.token, "credential");
      if (!r.ok) return r;
      const c = r.claims;
      return {
        ok: true,
        subject: { kind: "credential", agentId: c.agentId, orgId: c.orgId, jkt: c.jkt, capHash: c.capHash, sessionScopes: undefined, sessionId: undefined },
      };
    }
    const s = this.sessions.check(presented.token, caller);
    if (!s.ok) return s;
    const c = s.claims;
    return {
      ok: true,
      subject: { kind: "session", agentId: c.sub, orgId: c.org_id, jkt: c.cnf.jkt, capHash: c.cap, sessionScopes: c.scopes, sessionId: c.sid },
    };
  }
}
