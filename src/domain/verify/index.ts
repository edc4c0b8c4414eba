/** The verify module's public face: the factory, the decisions it answers, and the ports adapters implement. */
export { createVerify, type VerifyDeps, type VerifyModule, type VerifySettings } from "./create.js";
export { requestMismatch, type Verifier, type VerifyDecision, type VerifyInput } from "./verifier.js";
export type { HandshakeDecision, HandshakeInput, Handshakes } from "./handshake.js";
export type { CreateSessionInput, SessionGrant, SessionProposal, SessionProposals } from "./session-proposals.js";
export type { Presented } from "./steps/subject.js";
export { ProofChecker, withinWindow, type ProofWindow } from "./steps/proof-checker.js";
export { checkPolicy } from "./policy.js";
export { CallerGuard, guardOptionsFor, type CallerGuardOptions } from "./caller-guard.js";
export { SessionKeys } from "./session-keys.js";
export { AgentStateCache } from "./agent-state-cache.js";
export { initReplayEpoch, NONCE_CONSUMING_ACTIONS } from "./epoch.js";
export { gcra, nonceTtlMsFor } from "./gate.js";
export { parseInvalidation, type Invalidation, type InvalidationBus, type InvalidationSubscription } from "./invalidation.js";
export { Reason, REASON_CODES, reasonOf, type ReasonCode, type RefusalCode } from "./reasons.js";
export type * from "./ports.js";
