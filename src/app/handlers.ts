/** Composition step: the admin-token service and the registry services behind the three API services. */
import { loadFileSigner } from "../adapters/signer/file-signer.js";
import type { SqlPersister } from "../adapters/sql/persister.js";
import type { ApiDeps } from "../api/routes.js";
import type { Config } from "../config/types.js";
import { createAdmin } from "../domain/admin/index.js";
import { createAgents } from "../domain/agents/index.js";
import { createAudit } from "../domain/audit/index.js";
import type { Clock } from "../domain/clock.js";
import { createOrgs } from "../domain/orgs/index.js";
import { createRenewal } from "../domain/renewal/index.js";
import { TelemetryService } from "../domain/trust/index.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { Opened } from "./closers.js";
import type { IssuerServices } from "./issuer.js";
import { proofWindowOf } from "./probes.js";
import type { ReplayStores } from "./replay-stores.js";
import type { VerifyPath } from "./verify.js";

/** The admin JWT issuer and checker (its own key, ADMIN_JWT_PRIVATE_JWK_FILE; never the issuer key) and ExchangeToken. */
export async function createAdminTokens(config: Config, storage: SqlPersister, clock: Clock, metrics: Metrics) {
  const signer = await loadFileSigner(config.admin.jwtPrivateJwkFile, { variable: "ADMIN_JWT_PRIVATE_JWK_FILE" });
  return createAdmin({
    issuerUrl: config.issuer.issuerUrl,
    apiKeyHashes: config.admin.apiKeyHashes,
    maxTtlSeconds: config.admin.jwtMaxTtlSeconds,
    signer,
    clock,
    uow: storage.unitOfWork,
    onAdminAuth: (result) => metrics.adminAuthTotal.inc({ result }),
    ...(config.browser.admin ? { browser: { ttlSeconds: config.browser.adminJwtTtlSeconds } } : {}),
  });
}

export interface HandlerDeps {
  readonly config: Config;
  readonly storage: SqlPersister;
  readonly stores: ReplayStores;
  readonly issuer: IssuerServices;
  readonly exchanger: ApiDeps["tokens"];
  readonly verify: VerifyPath;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Signs the chain head now (an export ends on a fresh checkpoint). */
  readonly checkpointNow: () => Promise<unknown>;
}

/** Everything the handlers of src/api call. Closing stops the agents' background propagation retries. */
export function createHandlerDeps(deps: HandlerDeps): Opened<ApiDeps> {
  const { config, storage, stores, clock, verify, logger } = deps;
  const { keySet, minting } = deps.issuer;
  const issuerUrl = config.issuer.issuerUrl;
  const uow = storage.unitOfWork;
  const relyingPartyOrgs = config.peers.relyingPartyOrgs;
  const proofWindow = proofWindowOf(config);
  const { agents, propagator } = createAgents({
    uow,
    reads: storage.read,
    clock,
    minting,
    versions: stores.gate,
    bus: stores.bus,
    serviceAudience: issuerUrl,
    proofWindow,
    relyingPartyOrgs,
    onPropagationError: (agentId, version, attempt, err) =>
      logger.warn({ err, agentId, version, attempt }, "agent change committed but not yet propagated; retrying (replicas re-read it within the staleness bound)"),
  });
  const renewalsPerMinute = config.issuer.renewalsPerMinute;
  const { renewal } = createRenewal({ uow, clock, agents, minting, gate: stores.gate, serviceAudience: issuerUrl, proofWindow, renewalsPerMinute });
  const telemetry = new TelemetryService({ uow, reads: storage.read, clock, agents, relyingPartyOrgs, scorer: verify.trust });
  const value: ApiDeps = {
    tokens: deps.exchanger,
    orgs: createOrgs({ uow, reads: storage.read, clock }).orgs,
    audit: createAudit({ reader: storage.read.audit, issuerKeys: keySet, clock, sealHead: deps.checkpointNow }).query,
    agents,
    renewal,
    telemetry,
    verifier: verify.verifier,
    handshakes: verify.handshakes,
    sessions: verify.sessions,
    keySet,
  };
  return { value, close: () => propagator.close() };
}
