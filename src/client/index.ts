/** The agent-side helper's public surface. */
export * from "./agent.js";
export { newJti, PROOF_TYP, HANDSHAKE_TYP, POP_TYP } from "./tokens.js";
