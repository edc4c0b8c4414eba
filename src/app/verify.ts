/** Composition step: the Verify path (agent-state cache on the invalidation bus, trust cache, verifier, handshakes). */
import { Buffer } from "node:buffer";
import type { SqlPersister } from "../adapters/sql/persister.js";
import { readPrivateJwkFile } from "../config/jwk-file.js";
import type { Config } from "../config/types.js";
import { auditDecisionRecorder, type DecisionWriter } from "../domain/audit/index.js";
import type { Clock } from "../domain/clock.js";
import type { CredentialVerifier, IssuerKeySet } from "../domain/credentials/index.js";
import { CachedTrustStateSource, decodeTrustState, TrustScorer } from "../domain/trust/index.js";
import { AgentStateCache, createVerify, initReplayEpoch, SessionKeys, type VerifyModule } from "../domain/verify/index.js";
import type { Logger } from "../telemetry/logger.js";
import type { ReplayWindowNotice } from "../server/replay-window-notice.js";
import type { Metrics } from "../telemetry/metrics.js";
import { verifyMetricsOf } from "../telemetry/verify-metrics.js";
import type { Opened } from "./closers.js";
import { proofWindowOf } from "./probes.js";
import type { ReplayStores } from "./replay-stores.js";

export interface VerifyPathDeps {
  readonly config: Config;
  readonly storage: SqlPersister;
  readonly stores: ReplayStores;
  readonly keySet: IssuerKeySet;
  readonly credentials: CredentialVerifier;
  readonly decisions: DecisionWriter;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly replayWindow: ReplayWindowNotice;
}

export interface VerifyPath extends VerifyModule {
  /** The one TrustScorer: Verify, GetTrustScore and telemetry reports. */
  readonly trust: TrustScorer;
}

/**
 * The session-token key of every replica: derived (HKDF, its own info string) from the admin-token private key
 * that all replicas share, so any replica verifies any session without a new secret to distribute.
 */
function sessionKeysFor(config: Config): SessionKeys {
  const jwk = readPrivateJwkFile(config.admin.jwtPrivateJwkFile, ["P-256"]);
  if (typeof jwk.d !== "string") throw new Error("ADMIN_JWT_PRIVATE_JWK_FILE holds no private key");
  return SessionKeys.fromSeed(Buffer.from(jwk.d, "base64url"));
}

function cachedTrust(storage: SqlPersister, clock: Clock): CachedTrustStateSource {
  const load = async (id: string) => {
    const stored = await storage.read.trustState.get(id);
    return stored === undefined ? undefined : decodeTrustState(stored.state);
  };
  return new CachedTrustStateSource({ load }, clock);
}

/** Closing ends the invalidation subscription. */
export async function createVerifyPath(deps: VerifyPathDeps): Promise<Opened<VerifyPath>> {
  const { config, storage, stores, keySet, clock, logger } = deps;
  const proofWindow = proofWindowOf(config);
  deps.replayWindow.observe((await initReplayEpoch(stores.gate, storage.read.audit, clock.nowMs(), proofWindow)).epochMs);
  stores.epochReady();
  const agentStates = new AgentStateCache({ load: (id) => storage.read.agents.getState(id) }, stores.gate, {
    clock,
    maxStalenessMs: config.verify.agentStateMaxStalenessSeconds * 1000,
  });
  const subscription = await agentStates.attach(stores.bus, () => {
    keySet.refresh().catch((e: unknown) => logger.error({ err: e }, "issuer key refresh failed"));
  });
  const trust = new TrustScorer(cachedTrust(storage, clock), clock, (s) => deps.metrics.trustComputeDurationSeconds.observe(s));
  const verify = createVerify({
    clock,
    settings: {
      ...proofWindow,
      callerLimitPerMinute: config.verify.rateLimitPerMinute,
      agentLimitPerMinute: config.verify.agentRateLimitPerMinute,
      issuerUrl: config.issuer.issuerUrl,
      sessionTtlSeconds: config.verify.sessionTtlSeconds,
      proposalTtlSeconds: config.verify.proposalTtlSeconds,
      audiencesFor: (caller) => config.peers.relyingPartyAudiences.get(caller) ?? [],
    },
    credentials: deps.credentials,
    sessionKeys: sessionKeysFor(config),
    agents: agentStates,
    replay: stores.gate,
    trust,
    recorder: auditDecisionRecorder(deps.decisions, clock),
    metrics: verifyMetricsOf(deps.metrics),
  });
  return { value: { ...verify, trust }, close: () => subscription.close() };
}
