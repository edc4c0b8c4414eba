/** Agent credentials (typ agent-cred+jwt): issuing, and the Verify path's cached check against the published keys. */
import { createHash } from "node:crypto";
import { compactVerify, importJWK } from "jose";
import type { CryptoKey } from "jose";
import type { Clock } from "../clock.js";
import { invalidField } from "../errors.js";
import { newId } from "../ids.js";
import { signJwt } from "../issuer/jws.js";
import { parseCompactJws, parseJsonObject } from "../keys/compact-jws.js";
import type { Signer } from "../keys/index.js";
import type { IssuerKeySet } from "./key-set.js";
import { BoundedLru } from "./lru.js";

const CREDENTIAL_TYP = "agent-cred+jwt";

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
  const token = await signJwt(
    signer,
    { typ: CREDENTIAL_TYP },
    {
      iss: input.issuer,
      sub: input.agent.id,
      org_id: input.agent.orgId,
      cnf: { jkt: input.agent.keyThumbprint },
      cap_hash: input.agent.manifestHash,
      iat,
      nbf: iat,
      exp,
      jti,
    },
  );
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

type CredentialRejection =
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_token_type"
  | "unknown_issuer_key";

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

const INVALID_CREDENTIAL = "credential.malformed";

/**
 * Checks credentials against the PUBLISHED issuer keys only. The alg comes from the issuer key record, never
 * from the token; typ must be exactly agent-cred+jwt. Positive results are cached by SHA-256 of the token
 * bytes until exp and the whole cache is flushed on any key-set change (rotation, revoke, refresh).
 *
 * Reasons: a token whose kid is absent or not published -> unknown_issuer_key; another typ, or a token signed
 * by our key that lacks the credential claims or names another iss -> wrong_token_type; alg differing from
 * the key's, or a signature that does not verify -> bad_signature.
 */
export class CredentialVerifier {
  private readonly cache: BoundedLru<string, CredentialClaims>;
  private readonly keys = new Map<string, Promise<CryptoKey | Uint8Array>>();
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

  /** Drops every cached result and imported key. */
  flush(): void {
    this.cache.clear();
    this.keys.clear();
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
    const parts = parseCompactJws(token);
    if (typeof parts === "string") throw invalidField(INVALID_CREDENTIAL, field, parts);
    const nowMs = this.options.clock.nowMs();
    const cacheKey = createHash("sha256").update(token).digest("base64url");
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) {
      if (nowMs < cached.exp * 1000 + this.leewayMs) return { ok: true, claims: cached };
      this.cache.delete(cacheKey);
      return { ok: false, reason: "expired" };
    }
    const { header } = parts;
    if (header.typ !== CREDENTIAL_TYP) return { ok: false, reason: "wrong_token_type" };
    if (typeof header.kid !== "string") return { ok: false, reason: "unknown_issuer_key" };
    const record = this.options.keySet.findPublished(header.kid);
    if (record === undefined) return { ok: false, reason: "unknown_issuer_key" };
    if (header.alg !== record.alg) return { ok: false, reason: "bad_signature" };
    try {
      await compactVerify(token, await this.importKey(record.kid), { algorithms: [record.alg] });
    } catch {
      return { ok: false, reason: "bad_signature" };
    }
    const payload = parseJsonObject(parts.payloadBytes);
    const claims = payload === undefined ? undefined : credentialClaims(payload, record.kid);
    if (claims === undefined || payload?.iss !== this.options.issuer) return { ok: false, reason: "wrong_token_type" };
    if (nowMs < claims.nbf * 1000 - this.leewayMs) return { ok: false, reason: "not_yet_valid" };
    if (nowMs >= claims.exp * 1000 + this.leewayMs) return { ok: false, reason: "expired" };
    const result: CredentialClaims = {
      agentId: claims.agentId,
      orgId: claims.orgId,
      jkt: claims.jkt,
      capHash: claims.capHash,
      exp: claims.exp,
      jti: claims.jti,
      kid: claims.kid,
    };
    this.cache.set(cacheKey, result);
    return { ok: true, claims: result };
  }

  private importKey(kid: string): Promise<CryptoKey | Uint8Array> {
    let key = this.keys.get(kid);
    if (key === undefined) {
      const record = this.options.keySet.findPublished(kid);
      if (record === undefined) throw new Error(`issuer key ${kid} is not published`);
      key = importJWK(record.publicJwk, record.alg);
      this.keys.set(kid, key);
      key.catch(() => this.keys.delete(kid));
    }
    return key;
  }
}

function credentialClaims(
  payload: Readonly<Record<string, unknown>>,
  kid: string,
): (CredentialClaims & { nbf: number }) | undefined {
  const { sub, org_id, cnf, cap_hash, exp, nbf, jti } = payload;
  const jkt = typeof cnf === "object" && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined;
  if (typeof sub !== "string" || typeof org_id !== "string" || typeof jkt !== "string") return undefined;
  if (typeof cap_hash !== "string" || typeof jti !== "string") return undefined;
  if (!isSeconds(exp) || !isSeconds(nbf)) return undefined;
  return { agentId: sub, orgId: org_id, jkt, capHash: cap_hash, exp, nbf, jti, kid };
}

function isSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
