/** The tokens module: every JWS the service or an agent signs or checks, as rows of one table with one sign and one check. */
export { decodeBase64urlStrict, encodeBase64url } from "./base64url.js";
export { MAX_TOKEN_BYTES } from "./envelope.js";
export { tokenHash, TokenHashMemo } from "./hash.js";
export { algForJwk, verificationKey, type PublicKeyJwk, type TokenAlg, type VerificationKey } from "./keys.js";
export {
  ADMIN,
  CHECKPOINT,
  CREDENTIAL,
  DECISION_ANSWERS,
  HANDSHAKE,
  POSSESSION,
  PROOF,
  SESSION,
  TOKEN_KINDS,
  type FaultAnswer,
  type TokenFault,
  type TokenKind,
} from "./kinds.js";
export { keyObjectSigner, privateJwkSigner, signToken, type TokenSigner } from "./sign.js";
export { answerFault, checkToken, type KeyLookup, type TokenCheck, type TokenRefusal } from "./verify.js";
export { CURRENCY_PATTERN, JTI_PATTERN, SCOPE_PATTERN } from "./claims/read.js";
export * from "./claims/agent-signed.js";
export * from "./claims/service-signed.js";
