/** Claims of the tokens this service signs: credential, session, admin JWT and audit checkpoint, readers and builders. */
import { memberStr, scopeList, seconds, str } from "./read.js";

/** agent-cred+jwt (DESIGN.md section 3). */
export interface CredentialClaims {
  readonly iss: string;
  /** The agent id. */
  readonly sub: string;
  readonly org_id: string;
  /** RFC 7638 thumbprint of the agent key the credential is bound to. */
  readonly cnf: { readonly jkt: string };
  /** The capability-manifest hash the credential was issued for. */
  readonly cap_hash: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly jti: string;
}

/** agent-session+jwt. */
export interface SessionClaims {
  readonly iss: string;
  /** The relying party the session was created for. */
  readonly aud: string;
  /** The agent id. */
  readonly sub: string;
  readonly sid: string;
  readonly org_id: string;
  readonly scopes: readonly string[];
  readonly cnf: { readonly jkt: string };
  /** The manifest hash at creation: a capability update retires the session. */
  readonly cap: string;
  readonly iat: number;
  readonly exp: number;
}

/** admin+jwt: on the mTLS port bound to the client certificate (RFC 8705 cnf x5t#S256); browser-port tokens carry no cnf. */
export interface AdminClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly scope: string;
  readonly org_id?: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly cnf?: { readonly "x5t#S256": string };
}

/** audit-checkpoint+jwt: "event seq has hash H". */
export interface CheckpointClaims {
  readonly seq: number;
  readonly hash: string;
  readonly iat: number;
}

export function readCredentialClaims(p: Readonly<Record<string, unknown>>): CredentialClaims {
  return {
    iss: str(p, "iss"),
    sub: str(p, "sub"),
    org_id: str(p, "org_id"),
    cnf: { jkt: memberStr(p, "cnf", "jkt") },
    cap_hash: str(p, "cap_hash"),
    iat: seconds(p, "iat"),
    nbf: seconds(p, "nbf"),
    exp: seconds(p, "exp"),
    jti: str(p, "jti"),
  };
}

export function readSessionClaims(p: Readonly<Record<string, unknown>>): SessionClaims {
  return {
    iss: str(p, "iss"),
    aud: str(p, "aud"),
    sub: str(p, "sub"),
    sid: str(p, "sid"),
    org_id: str(p, "org_id"),
    scopes: scopeList(p, "scopes", 1024, true),
    cnf: { jkt: memberStr(p, "cnf", "jkt") },
    cap: str(p, "cap"),
    iat: seconds(p, "iat"),
    exp: seconds(p, "exp"),
  };
}

export function readAdminClaims(p: Readonly<Record<string, unknown>>): AdminClaims {
  const orgId = p.org_id === undefined ? undefined : str(p, "org_id");
  return {
    iss: str(p, "iss"),
    aud: str(p, "aud"),
    sub: str(p, "sub"),
    scope: str(p, "scope"),
    ...(orgId === undefined ? {} : { org_id: orgId }),
    jti: str(p, "jti"),
    iat: seconds(p, "iat"),
    exp: seconds(p, "exp"),
    // Whether a binding must (mTLS) or must not (browser) be present is the admin module's rule per listener.
    ...(p.cnf === undefined ? {} : { cnf: { "x5t#S256": memberStr(p, "cnf", "x5t#S256") } }),
  };
}

export function readCheckpointClaims(p: Readonly<Record<string, unknown>>): CheckpointClaims {
  return { seq: seconds(p, "seq"), hash: str(p, "hash"), iat: seconds(p, "iat") };
}
