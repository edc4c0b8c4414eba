/** Signs credentials for agents with the active issuer key and records them (and their audit event) in a transaction. */
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import type { Actor } from "../peer.js";
import type { Signer } from "../keys/index.js";
import { issueCredential, type CredentialSubject, type IssuedCredential } from "./credentials.js";
import type { IssuerKeySet } from "./key-set.js";
import type { CredentialTx } from "./ports.js";

interface CredentialMintingDeps {
  readonly signer: Signer;
  readonly keySet: IssuerKeySet;
  readonly clock: Clock;
  readonly issuerUrl: string;
  readonly credentialTtlSeconds: number;
}

/** Signing happens outside any transaction (it may be a KMS round trip); recording happens inside one. */
export class CredentialMinting {
  constructor(private readonly deps: CredentialMintingDeps) {}

  /** Signs a credential; fails (unavailable) when the signer is down or its key is no longer active. */
  async sign(agent: CredentialSubject): Promise<IssuedCredential> {
    this.deps.keySet.assertCanSign(this.deps.signer.kid);
    return issueCredential(this.deps.signer, {
      issuer: this.deps.issuerUrl,
      agent,
      ttlSeconds: this.deps.credentialTtlSeconds,
      nowMs: this.deps.clock.nowMs(),
    });
  }

  /** Records an issued credential and its "credential.issued" audit event in the transaction. */
  async record(tx: CredentialTx, actor: Actor, agent: CredentialSubject, credential: IssuedCredential, via: string): Promise<void> {
    await tx.credentials.recordIssued({
      jti: credential.jti,
      agentId: agent.id,
      kid: credential.kid,
      issuedAtMs: credential.issuedAtMs,
      expiresAtMs: credential.expiresAtMs,
    });
    tx.audit.record({
      id: newId("evt"),
      timeMs: this.deps.clock.nowMs(),
      actor: actor.identity,
      action: "credential.issued",
      target: agent.id,
      orgId: agent.orgId,
      requestId: actor.requestId,
      details: { credential_id: credential.jti, kid: credential.kid, expires_at_ms: credential.expiresAtMs, via },
    });
  }
}
