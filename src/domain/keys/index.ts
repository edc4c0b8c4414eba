/**
 * Keys, whatever token they sign: RFC 7638 thumbprints, the agent public-key shape, the signer port, and the
 * possession proof that shows a new agent key is held. Tokens build the JWS; credentials, admin, audit and
 * agents use these keys.
 */
export type { AgentPublicJwk } from "./agent-public-jwk.js";
export { verifyPossessionProof } from "./possession-proof.js";
export type { Signer } from "./signer.js";
export { jwkThumbprint } from "./thumbprint.js";
