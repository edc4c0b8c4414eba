/** The agent-side helper's public surface. */
export * from "./agent.js";
export { newJti } from "./tokens.js";
