/** Who is calling: the peer identity from the client certificate, its roles, and how it authenticated. */

export type Role = "admin" | "relying-party" | "agent";

export const ROLES: readonly Role[] = ["admin", "relying-party", "agent"];

/** The caller at the transport level, derived once per connection from the verified client certificate. */
export interface Peer {
  /** "spiffe://<trust-domain>/..." or "cn:<common name>" (only when CN identities are enabled). */
  readonly identity: string;
  readonly roles: ReadonlySet<Role>;
  /** base64url SHA-256 of the DER client certificate (RFC 8705 x5t#S256). */
  readonly certThumbprint: string;
}

/** An admin authenticated by an admin JWT on this request. */
export interface AdminPrincipal {
  /** The token's sub: the identity of the peer that exchanged the API key. */
  readonly subject: string;
  /** When set, the token only acts within this organisation. */
  readonly orgId: string | undefined;
  readonly tokenId: string;
}

/** Everything a domain operation needs to know about its caller, for authorization and audit. */
export interface Actor {
  /** Written to the audit log as the actor. */
  readonly identity: string;
  readonly requestId: string;
  readonly admin: AdminPrincipal | undefined;
  readonly peer: Peer | undefined;
}
