/** The messages between the bench orchestrator and its load-generator and reference-server child processes. */
import type { PhaseResult } from "./measure.js";

/** Where the load generator finds the service and what it signs Verify proofs with. */
export interface LoadInit {
  readonly type: "init";
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** HTTP/2 connections per target (a gateway's connection pool). */
  readonly connections: number;
  /** What Verify proofs are made of, by target origin (each service has its own database and agent). */
  readonly verifyBy: Readonly<Record<string, VerifyTarget>>;
}

export interface VerifyTarget {
  readonly credential: string;
  /** The agent's private JWK (a throw-away bench key). */
  readonly privateJwk: Record<string, unknown>;
  readonly audience: string;
  readonly scope: string;
  readonly operation: string;
}

/**
 * The RPCs a phase calls: Verify, health Check (gRPC over HTTP/2), the same two in the Connect protocol over HTTP/1.1
 * keep-alive (`-connect-h1`), streamed Verify, or the HTTP/1.1 reference's null request.
 */
export type PhaseRpc = "verify" | "check" | "verify-connect-h1" | "check-connect-h1" | "verify-stream" | "http1-null";

export interface PhaseSpec {
  readonly type: "run";
  readonly id: number;
  readonly name: string;
  readonly rpc: PhaseRpc;
  /** https://127.0.0.1:port of the target. */
  readonly origin: string;
  readonly mode: "closed" | "open";
  /** closed: calls in flight; stream: messages in flight per stream. */
  readonly concurrency: number;
  /** open: offered calls per second. */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** closed: most calls (proofs are signed for this many before the clock starts). */
  readonly maxCalls: number;
}

export interface PhaseOutcome {
  readonly type: "result";
  readonly id: number;
  readonly result: PhaseResult;
  /** The load generator's own CPU (user + system) during the phase, ms. */
  readonly loadCpuMs: number;
}

export interface PhaseFailure {
  readonly type: "error";
  readonly id: number;
  readonly message: string;
}

/** The reference servers' ports, sent once they listen. */
export interface ReferencePorts {
  readonly type: "listening";
  readonly grpcJsPort: number;
  readonly http1Port: number;
}
