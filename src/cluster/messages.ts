/** The IPC messages between the cluster primary and its workers (node:cluster's channel, JSON-serialised). */
import type { Readiness, ServingState } from "../server/health-registry.js";

/** A worker's health: each service's serving state and its readiness (what /readyz would answer in it). */
export interface WorkerHealth {
  readonly statuses: Readonly<Record<string, ServingState>>;
  readonly readiness: Readiness;
}

/** What the primary asks a worker for: its metrics (prom-client JSON) or the issuer JWKS. */
export type WorkerQuery = "metrics" | "jwks";

export type WorkerMessage =
  | { readonly aid: "listening"; readonly grpcPort: number; readonly browserPort: number | undefined }
  | { readonly aid: "health"; readonly health: WorkerHealth }
  | { readonly aid: "answer"; readonly id: number; readonly value?: unknown; readonly error?: string };

export type PrimaryMessage = { readonly aid: "query"; readonly id: number; readonly query: WorkerQuery };

function isTagged(message: unknown): message is { aid: unknown } {
  return typeof message === "object" && message !== null && "aid" in message;
}

/** A message from a worker to the primary (prom-client and node:cluster send others on the same channel). */
export function isWorkerMessage(message: unknown): message is WorkerMessage {
  return isTagged(message) && (message.aid === "listening" || message.aid === "health" || message.aid === "answer");
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  return isTagged(message) && message.aid === "query";
}
