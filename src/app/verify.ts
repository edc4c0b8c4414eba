/** Composition step: the Verify path (agent-state cache on the invalidation bus, trust cache, verifier, handshakes). */
import { Buffer } from "node:buffer";
import type { SqlStorage } from "../adapters/sql/storage.js";
import { readPrivateJwkFile } from "../config/jwk-file.js";
import type { Config } from "../config/types.js";
import { auditDecisionRecorder } from "../domain/audit/decision-recorder.js";
import type { DecisionWriter } from "../domain/audit/decision-writer.js";
import type { Clock } from "../domain/clock.js";
import { CredentialVerifier } from "../domain/issuer/credentials.js";
import type { IssuerKeySet } from "../domain/issuer/key-set.js";
import { decodeTrustState } from "../domain/registry/trust-state-codec.js";
import { CachedTrustStateSource } from "../domain/trust/source.js";
import { AgentStateCache } from "../domain/verify/agent-state-cache.js";
import { CallerGuard, guardOptionsFor } from "../domain/verify/caller-guard.js";
import type { VerifierDeps } from "../domain/verify/deps.js";
import { initReplayEpoch } from "../domain/verify/epoch.js";
import { HandshakeService } from "../domain/verify/handshake.js";
import { SessionKeys } from "../domain/verify/session-keys.js";
import { Verifier } from "../domain/verify/verifier.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import { verifyMetricsOf } from "../telemetry/verify-metrics.js";
import type { Opened } from "./closers.js";
import type { ReplayStores } from "./replay-stores.js";

export interface VerifyPathDeps {
  readonly config: Config;
  readonly storage: SqlStorage;
  readonly stores: ReplayStores;
  readonly keySet: IssuerKeySet;
  readonly decisions: DecisionWriter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface VerifyPath {
  readonly verifier: Verifier;
  readonly handshakes: HandshakeService;
  /** Telemetry reports drop an agent's cached trust state through it. */
  readonly trust: CachedTrustStateSource;
}

/**
 * The session-token key of every replica: derived (HKDF, its own info string) from the admin-token private key
 * that all replicas share, so any replica verifies any session without a new secret to distribute.
 */
function sessionKeysFor(config: Config): Promise<SessionKeys> {
  const jwk = readPrivateJwkFile(config.admin.jwtPrivateJwkFile, ["P-256"]);
  if (typeof jwk.d !== "string") throw new Error("ADMIN_JWT_PRIVATE_JWK_FILE holds no private key");
  return SessionKeys.fromSeed(Buffer.from(jwk.d, "base64url"));
}

function cachedTrust(storage: SqlStorage, clock: Clock): CachedTrustStateSource {
  const load = async (id: string) => {
    const stored = await storage.read.trustState.get(id);
    return stored === undefined ? undefined : decodeTrustState(stored.state);
  };
  return new CachedTrustStateSource({ load }, clock);
}

/** Closing ends the invalidation subscription. */
export async function createVerifyPath(deps: VerifyPathDeps): Promise<Opened<VerifyPath>> {
  const { config, storage, stores, keySet, clock, logger } = deps;
  const epoch = await initReplayEpoch(stores.gate, storage.read.audit, clock.nowMs(), config.verify.proofSkewSeconds);
  if (epoch.recentConsumption) {
    logger.warn(
      { epochMs: epoch.epochMs },
      "replay store epoch is recent: proofs made before it plus the skew window are refused (restart protection)",
    );
  }
  const agentStates = new AgentStateCache({ load: (id) => storage.read.agents.getState(id) }, stores.gate);
  const subscription = await agentStates.attach(stores.bus, () => {
    keySet.refresh().catch((e: unknown) => logger.error({ err: e }, "issuer key refresh failed"));
  });
  const trust = cachedTrust(storage, clock);
  const verifierDeps: VerifierDeps = {
    clock,
    settings: {
      skewSeconds: config.verify.proofSkewSeconds,
      callerLimitPerMinute: config.verify.rateLimitPerMinute,
      agentLimitPerMinute: config.verify.agentRateLimitPerMinute,
      issuerUrl: config.issuer.issuerUrl,
      sessionTtlSeconds: config.verify.sessionTtlSeconds,
      proposalTtlSeconds: config.verify.proposalTtlSeconds,
      audiencesFor: (caller) => config.peers.relyingPartyAudiences.get(caller) ?? [],
    },
    guard: new CallerGuard(clock, guardOptionsFor(config.verify.rateLimitPerMinute)),
    credentials: new CredentialVerifier({ keySet, issuer: config.issuer.issuerUrl, clock }),
    sessionKeys: await sessionKeysFor(config),
    agents: agentStates,
    gate: stores.gate,
    trust,
    recorder: auditDecisionRecorder(deps.decisions, clock),
    metrics: verifyMetricsOf(deps.metrics),
  };
  return {
    value: { verifier: new Verifier(verifierDeps), handshakes: new HandshakeService(verifierDeps), trust },
    close: () => subscription.close(),
  };
}
