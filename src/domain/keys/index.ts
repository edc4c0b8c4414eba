/**
 * Keys, whatever token they sign: the one algorithm a key may use, RFC 7638 thumbprints, the agent public-key
 * shape and the signer port. A leaf module: tokens, credentials, admin and agents build on it.
 */
export { algorithmForJwk, allowedAlgorithms, type KeyAlgorithm } from "./algorithms.js";
export type { AgentPublicJwk } from "./agent-public-jwk.js";
export type { Signer } from "./signer.js";
export { jwkThumbprint } from "./thumbprint.js";
