/** The trust model's public surface. */
export * from "./state.js";
export * from "./score.js";
export * from "./report.js";
export * from "./source.js";
