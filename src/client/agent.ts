/** The agent-side helper: holds the agent's private key, makes proofs, handshakes and possession proofs, renews. */
import { calculateJwkThumbprint, type JWK } from "jose";
import { systemClock, type Clock } from "../domain/clock.js";
import type { AgentPublicJwk } from "../domain/model.js";
import {
  HANDSHAKE,
  handshakeClaims,
  newJti,
  POSSESSION,
  possessionClaims,
  privateJwkSigner,
  PROOF,
  proofClaims,
  signToken,
  tokenHash,
  type TokenSigner,
} from "./tokens.js";

export interface ProofRequest {
  /** The relying party's identity (or an audience configured for it). */
  readonly audience: string;
  readonly scope: string;
  readonly op: string;
  /** Integer minor units (0 when no money moves). */
  readonly amountMinor: bigint | number;
  /** ISO 4217, or "" when amountMinor is 0. */
  readonly currency: string;
  /** The credential or session token the proof is presented with (ath). */
  readonly credentialOrSession: string;
  /** Overrides for test vectors; normally fresh. */
  readonly jti?: string;
  readonly iatSeconds?: number;
}

export interface HandshakeRequest {
  readonly audience: string;
  readonly scopes: readonly string[];
  readonly credential: string;
  readonly jti?: string;
  readonly iatSeconds?: number;
}

export interface PossessionRequest {
  readonly op: "agent.register" | "agent.rotate_key";
  /** The service audience (ISSUER_URL). */
  readonly audience: string;
  readonly orgId: string;
  /** Required for agent.rotate_key. */
  readonly agentId?: string;
  readonly iatSeconds?: number;
}

/** Exchanges a renewal proof for a fresh credential (wired to AgentRegistryService.IssueCredential). */
export type RenewCredential = (proof: string) => Promise<{ token: string; expiresAtMs: number }>;

export interface AgentClientOptions {
  readonly clock?: Clock;
  readonly agentId?: string;
  /** The service audience used for renewal proofs (ISSUER_URL). */
  readonly serviceAudience?: string;
  readonly renew?: RenewCredential;
  /** Renew when the credential expires within this many ms (default 5 minutes). */
  readonly renewBeforeMs?: number;
}

/** Public members only of a private JWK, validated as an agent key type. */
function publicPart(jwk: JWK): AgentPublicJwk {
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519" && typeof jwk.x === "string") return { kty: "OKP", crv: "Ed25519", x: jwk.x };
  if (jwk.kty === "EC" && jwk.crv === "P-256" && typeof jwk.x === "string" && typeof jwk.y === "string") {
    return { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
  }
  throw new Error("agent key must be an Ed25519 (OKP) or P-256 (EC) private JWK");
}

export class AgentIdentityClient {
  private credentialToken: string | undefined;
  private credentialExpiresAtMs = 0;
  private renewing: Promise<string> | undefined;
  agentId: string | undefined;

  private constructor(
    private readonly signer: TokenSigner,
    readonly publicJwk: AgentPublicJwk,
    /** RFC 7638 thumbprint of the public key (the credential's cnf.jkt). */
    readonly thumbprint: string,
    private readonly options: AgentClientOptions,
  ) {
    this.agentId = options.agentId;
  }

  /** From a private JWK ("d" present), Ed25519 or P-256. */
  static async fromJwk(privateJwk: JWK, options: AgentClientOptions = {}): Promise<AgentIdentityClient> {
    if (typeof privateJwk.d !== "string") throw new Error("a private JWK (with d) is required");
    const pub = publicPart(privateJwk);
    return new AgentIdentityClient(privateJwkSigner(privateJwk), pub, await calculateJwkThumbprint({ ...pub }), options);
  }

  private clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock().nowMs() / 1000);
  }

  /** A proof (typ agent-proof+jwt) for one request, claims in the documented order. */
  /** The JWS alg of this agent's key. */
  get alg(): "ES256" | "EdDSA" {
    return this.signer.alg;
  }

  makeProof(r: ProofRequest): Promise<string> {
    const amt = typeof r.amountMinor === "bigint" ? Number(r.amountMinor) : r.amountMinor;
    if (!Number.isSafeInteger(amt) || amt < 0) throw new Error("amountMinor must be a non-negative safe integer");
    const claims = proofClaims({
      jti: r.jti ?? newJti(),
      iat: r.iatSeconds ?? this.nowSeconds(),
      aud: r.audience,
      scope: r.scope,
      op: r.op,
      amt,
      cur: r.currency,
      ath: tokenHash(r.credentialOrSession),
    });
    return signToken(PROOF, this.signer, claims);
  }

  /** A handshake (typ agent-handshake+jwt) requesting scopes for a session with one relying party. */
  makeHandshake(r: HandshakeRequest): Promise<string> {
    const claims = handshakeClaims({
      jti: r.jti ?? newJti(),
      iat: r.iatSeconds ?? this.nowSeconds(),
      aud: r.audience,
      scopes: r.scopes,
      ath: tokenHash(r.credential),
    });
    return signToken(HANDSHAKE, this.signer, claims);
  }

  /** A possession proof (typ agent-pop+jwt) for registration or key rotation: {op, aud, org_id, agent_id?, jkt, iat}. */
  makePossessionProof(r: PossessionRequest): Promise<string> {
    const claims = possessionClaims({
      op: r.op,
      aud: r.audience,
      org_id: r.orgId,
      ...(r.agentId === undefined ? {} : { agent_id: r.agentId }),
      jkt: this.thumbprint,
      iat: r.iatSeconds ?? this.nowSeconds(),
    });
    return signToken(POSSESSION, this.signer, claims);
  }

  /**
   * A renewal proof for IssueCredential: an agent-proof+jwt with aud = the service audience,
   * scope "agent.credential", op "credential.renew", amt 0, cur "", ath = base64url(SHA-256(agent id)) (the
   * request names the agent, not a credential, so a renewal also works once the old credential expired).
   */
  makeRenewalProof(): Promise<string> {
    const audience = this.options.serviceAudience;
    if (audience === undefined) throw new Error("serviceAudience is required for renewal proofs");
    if (this.agentId === undefined) throw new Error("agentId is required for renewal proofs");
    return this.makeProof({
      audience,
      scope: "agent.credential",
      op: "credential.renew",
      amountMinor: 0,
      currency: "",
      credentialOrSession: this.agentId,
    });
  }

  /** Holds a credential (e.g. from RegisterAgent) and its expiry. */
  setCredential(token: string, expiresAtMs: number): void {
    this.credentialToken = token;
    this.credentialExpiresAtMs = expiresAtMs;
  }

  /** The held credential, renewed first through `renew` when it expires within renewBeforeMs. */
  async credential(): Promise<string> {
    const renewBefore = this.options.renewBeforeMs ?? 5 * 60_000;
    const token = this.credentialToken;
    if (token !== undefined && this.clock().nowMs() < this.credentialExpiresAtMs - renewBefore) return token;
    const renew = this.options.renew;
    if (renew === undefined) {
      if (token !== undefined && this.clock().nowMs() < this.credentialExpiresAtMs) return token;
      throw new Error("credential expired and no renew callback configured");
    }
    this.renewing ??= (async () => {
      try {
        const fresh = await renew(await this.makeRenewalProof());
        this.setCredential(fresh.token, fresh.expiresAtMs);
        return fresh.token;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }
}
