/** The connection limits section: handshake, idle, header and request timeouts, streams and connections per peer. */
import type { EnvReader } from "./env-reader.js";
import type { Config } from "./types.js";

/** Defaults, also documented in .env.example and the README's configuration table. */
export const CONNECTION_LIMIT_DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConcurrentStreams: 100,
  maxConnectionsPerPeer: 100,
} as const;

export function readConnectionLimits(r: EnvReader): Config["limits"] {
  const d = CONNECTION_LIMIT_DEFAULTS;
  const ms = { min: 50, max: 3_600_000 };
  return {
    handshakeTimeoutMs: r.integer("HANDSHAKE_TIMEOUT_MS", d.handshakeTimeoutMs, ms),
    idleTimeoutMs: r.integer("IDLE_TIMEOUT_MS", d.idleTimeoutMs, ms),
    headersTimeoutMs: r.integer("HEADERS_TIMEOUT_MS", d.headersTimeoutMs, ms),
    requestTimeoutMs: r.integer("REQUEST_TIMEOUT_MS", d.requestTimeoutMs, ms),
    maxConcurrentStreams: r.integer("MAX_CONCURRENT_STREAMS", d.maxConcurrentStreams, { min: 1, max: 10_000 }),
    maxConnectionsPerPeer: r.integer("MAX_CONNECTIONS_PER_PEER", d.maxConnectionsPerPeer, { min: 1, max: 1_000_000 }),
  };
}
