/** Derives the calling Peer (identity, roles, thumbprint) from a verified client certificate and the peer config. */
import "reflect-metadata";
import { createHash } from "node:crypto";
import { SubjectAlternativeNameExtension, X509Certificate } from "@peculiar/x509";
import type { Config, RoleRule } from "../config/types.js";
import type { Peer, Role } from "../domain/peer.js";

export type PeerConfig = Pick<Config["peers"], "trustDomain" | "roleRules" | "allowCnIdentity">;

/** The outcome of reading a certificate: a peer, or why the certificate carries no usable identity. */
export type PeerIdentityResult =
  | { readonly ok: true; readonly peer: Peer }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the identity of a client certificate (DER). Exactly one URI SAN, a SPIFFE ID in the configured trust
 * domain, is the identity; with no URI SAN and `allowCnIdentity`, the subject CN written `cn:<name>`. Anything
 * else (several URI SANs, another scheme, another trust domain, a malformed ID) is refused with a reason.
 */
export function derivePeer(der: Uint8Array, config: PeerConfig): PeerIdentityResult {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    return { ok: false, reason: `unreadable certificate: ${e instanceof Error ? e.message : String(e)}` };
  }
  const uris = uriSans(cert);
  let identity: string;
  if (uris.length > 1) return { ok: false, reason: `certificate has ${uris.length} uri sans, exactly one is required` };
  if (uris.length === 1) {
    const checked = checkSpiffeId(uris[0] as string, config.trustDomain);
    if (!checked.ok) return checked;
    identity = checked.id;
  } else {
    if (!config.allowCnIdentity) return { ok: false, reason: "certificate has no uri san" };
    const cns = cert.subjectName.getField("CN");
    if (cns.length !== 1 || (cns[0] as string).trim() === "") {
      return { ok: false, reason: "certificate has no uri san and no single subject cn" };
    }
    identity = `cn:${cns[0] as string}`;
  }
  return { ok: true, peer: { identity, roles: rolesFor(identity, config.roleRules), certThumbprint: certThumbprint(der) } };
}

/** base64url SHA-256 of the DER certificate: the RFC 8705 `x5t#S256` confirmation value. */
export function certThumbprint(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("base64url");
}

/**
 * Roles of an identity: the rules whose prefix is the longest one matching (plain prefix match; several rules
 * with that same prefix give several roles).
 */
export function rolesFor(identity: string, rules: readonly RoleRule[]): ReadonlySet<Role> {
  let longest = -1;
  const roles = new Set<Role>();
  for (const rule of rules) {
    if (!identity.startsWith(rule.prefix)) continue;
    if (rule.prefix.length > longest) {
      longest = rule.prefix.length;
      roles.clear();
    }
    if (rule.prefix.length === longest) roles.add(rule.role);
  }
  return roles;
}

function uriSans(cert: X509Certificate): string[] {
  const ext = cert.getExtension(SubjectAlternativeNameExtension);
  if (ext === null) return [];
  return ext.names.items.filter((n) => n.type === "url").map((n) => n.value);
}

type SpiffeCheck = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly reason: string };

/** Accepts `spiffe://<trustDomain>/<path>` with a non-empty path, no port, user info, query or fragment. */
export function checkSpiffeId(uri: string, trustDomain: string): SpiffeCheck {
  const prefix = "spiffe://";
  if (!uri.startsWith(prefix)) return { ok: false, reason: "uri san is not a spiffe id" };
  const rest = uri.slice(prefix.length);
  const slash = rest.indexOf("/");
  const domain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash);
  if (domain !== trustDomain.toLowerCase()) {
    return { ok: false, reason: "spiffe id is outside the trust domain" };
  }
  if (!/^[a-z0-9._-]+$/.test(domain)) return { ok: false, reason: "spiffe id has a malformed trust domain" };
  if (path.length < 2 || path.endsWith("/")) return { ok: false, reason: "spiffe id has no path" };
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) return { ok: false, reason: "spiffe id has a malformed path" };
  if (path.split("/").some((seg) => seg === "." || seg === "..")) {
    return { ok: false, reason: "spiffe id has a malformed path" };
  }
  return { ok: true, id: `spiffe://${domain}${path}` };
}
