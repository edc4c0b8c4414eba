/** The public key shape agents register: Ed25519 (OKP) or P-256 (EC), public members only. */

/** A public JWK as accepted for agents: Ed25519 (OKP) or P-256 (EC), public members only. */
export type AgentPublicJwk =
  | { readonly kty: "OKP"; readonly crv: "Ed25519"; readonly x: string }
  | { readonly kty: "EC"; readonly crv: "P-256"; readonly x: string; readonly y: string };
