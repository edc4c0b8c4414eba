/** Agent credentials (typ agent-cred+jwt): issuing, and the Verify path's cached check against the published keys. */
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import type { Signer } from "../keys/index.js";
import { answerFault, checkToken, CREDENTIAL, signToken, TokenHashMemo, verificationKey, type TokenRefusal } from "../tokens/index.js";
import type { IssuerKeySet } from "./key-set.js";
import { BoundedLru } from "./lru.js";

/** The agent facts a credential binds. */
export interface CredentialSubject {
  readonly id: string;
  readonly orgId: string;
  /** RFC 7638 thumbprint of the agent's current key (cnf.jkt). */
  readonly keyThumbprint: string;
  /** Hash of the current capability manifest (cap_hash). */
  readonly manifestHash: string;
}

interface IssueCredentialInput {
  /** The "iss" (ISSUER_URL). */
  readonly issuer: string;
  readonly agent: CredentialSubject;
  readonly ttlSeconds: number;
  readonly nowMs: number;
}

export interface IssuedCredential {
  readonly token: string;
  /** "crd_..." */
  readonly jti: string;
  readonly kid: string;
  /** iat in ms (whole seconds). */
  readonly issuedAtMs: number;
  /** exp in ms (whole seconds). */
  readonly expiresAtMs: number;
}

/** Signs a new credential for `agent`: iss, sub, org_id, cnf.jkt, cap_hash, iat, nbf = iat, exp, jti. */
export async function issueCredential(signer: Signer, input: IssueCredentialInput): Promise<IssuedCredential> {
  if (!Number.isSafeInteger(input.ttlSeconds) || input.ttlSeconds <= 0) {
    throw new RangeError("credential ttl must be a positive whole number of seconds");
  }
  const iat = Math.floor(input.nowMs / 1000);
  const exp = iat + input.ttlSeconds;
  const jti = newId("crd");
  const token = await signToken(CREDENTIAL, signer, {
    iss: input.issuer,
    sub: input.agent.id,
    org_id: input.agent.orgId,
    cnf: { jkt: input.agent.keyThumbprint },
    cap_hash: input.agent.manifestHash,
    iat,
    nbf: iat,
    exp,
    jti,
  });
  return { token, jti, kid: signer.kid, issuedAtMs: iat * 1000, expiresAtMs: exp * 1000 };
}

interface CredentialClaims {
  readonly agentId: string;
  readonly orgId: string;
  readonly jkt: string;
  readonly capHash: string;
  /** Seconds since the epoch, as in the token. */
  readonly exp: number;
  readonly jti: string;
  readonly kid: string;
}

type CredentialRejection = TokenRefusal | "expired" | "not_yet_valid";

type CredentialCheck =
  | { readonly ok: true; readonly claims: CredentialClaims }
  | { readonly ok: false; readonly reason: CredentialRejection };

interface CredentialVerifierOptions {
  readonly keySet: IssuerKeySet;
  /** The expected "iss". */
  readonly issuer: string;
  readonly clock: Clock;
  /**
   * Tolerance for clock differences between replicas, applied to nbf and exp alike (default 5 s). This is
   * the only grace an expired credential gets.
   */
  readonly leewaySeconds?: number;
  /** Positive results kept (default 10 000). */
  readonly cacheSize?: number;
}

/**
 * Checks credentials against the PUBLISHED issuer keys only, through the token table (CREDENTIAL row): the alg
 * comes from the issuer key record, never from the token. Positive results are cached by SHA-256 of the token
 * bytes until exp and the whole cache is flushed on any key-set change (rotation, revoke, refresh).
 * Beyond the table's answers: another iss -> wrong_token_type; nbf/exp outside the leeway -> not_yet_valid/expired.
 */
export class CredentialVerifier {
  private readonly cache: BoundedLru<string, CredentialClaims>;
  /** The cache key (the token's hash) of recently presented credentials: one map lookup instead of SHA-256. */
  private readonly keys = new TokenHashMemo();
  private readonly leewayMs: number;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: CredentialVerifierOptions) {
    this.cache = new BoundedLru(options.cacheSize ?? 10_000);
    this.leewayMs = (options.leewaySeconds ?? 5) * 1000;
    this.unsubscribe = options.keySet.onChange(() => this.flush());
  }

  /** Number of cached positive results (for tests and metrics). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** Drops every cached result. */
  flush(): void {
    this.cache.clear();
  }

  /** Stops listening to the key set. */
  close(): void {
    this.unsubscribe();
    this.flush();
  }

  /**
   * @param field the request field the token came from, named in envelope errors.
   * @throws DomainError invalid_argument when `token` is not a compact JWS or is longer than 8 KiB.
   */
  async check(token: string, field = "credential"): Promise<CredentialCheck> {
    const nowMs = this.options.clock.nowMs();
    const cacheKey = this.keys.hashOf(token);
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) {
      if (nowMs < cached.exp * 1000 + this.leewayMs) return { ok: true, claims: cached };
      this.cache.delete(cacheKey);
      return { ok: false, reason: "expired" };
    }
    const keySet = this.options.keySet;
    const checked = checkToken(CREDENTIAL, token, (kid) => {
      const record = kid === undefined ? undefined : keySet.findPublished(kid);
      return record === undefined ? undefined : verificationKey(record.publicJwk);
    });
    if (!checked.ok) return { ok: false, reason: answerFault(CREDENTIAL, checked, field) };
    const c = checked.claims;
    if (c.iss !== this.options.issuer) return { ok: false, reason: "wrong_token_type" };
    if (nowMs < c.nbf * 1000 - this.leewayMs) return { ok: false, reason: "not_yet_valid" };
    if (nowMs >= c.exp * 1000 + this.leewayMs) return { ok: false, reason: "expired" };
    const result: CredentialClaims = {
      agentId: c.sub,
      orgId: c.org_id,
      jkt: c.cnf.jkt,
      capHash: c.cap_hash,
      exp: c.exp,
      jti: c.jti,
      kid: checked.kid ?? "",
    };
    this.cache.set(cacheKey, result);
    return { ok: true, claims: result };
  }
}
