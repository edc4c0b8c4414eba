/** Composition step: the admin-token service and the registry services behind the three API services. */
import { loadFileSigner } from "../adapters/signer/file-signer.js";
import type { SqlStorage } from "../adapters/sql/storage.js";
import type { ApiDeps } from "../api/routes.js";
import type { Config } from "../config/types.js";
import { AuditedTokenExchanger } from "../domain/admin/audited-exchange.js";
import { AdminTokenService } from "../domain/admin/token-service.js";
import type { Clock } from "../domain/clock.js";
import type { IssuerKeySet } from "../domain/issuer/key-set.js";
import type { Signer } from "../domain/issuer/signer.js";
import { AgentService } from "../domain/registry/agent-service.js";
import { AuditQuery } from "../domain/registry/audit-query.js";
import { CredentialMinting } from "../domain/registry/credential-minting.js";
import { OrgService } from "../domain/registry/org-service.js";
import { AgentChangePropagator } from "../domain/registry/propagation.js";
import { CredentialRenewal } from "../domain/registry/renewal.js";
import { TelemetryService } from "../domain/trust/index.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { Opened } from "./closers.js";
import { proofWindowOf } from "./probes.js";
import type { ReplayStores } from "./replay-stores.js";
import type { VerifyPath } from "./verify.js";

/** The admin JWT issuer and checker (its own key, ADMIN_JWT_PRIVATE_JWK_FILE; never the issuer key). */
export async function createAdminTokens(config: Config, clock: Clock, metrics: Metrics): Promise<AdminTokenService> {
  const signer = await loadFileSigner(config.admin.jwtPrivateJwkFile, { variable: "ADMIN_JWT_PRIVATE_JWK_FILE" });
  return new AdminTokenService({
    issuerUrl: config.issuer.issuerUrl,
    apiKeyHashes: config.admin.apiKeyHashes,
    maxTtlSeconds: config.admin.jwtMaxTtlSeconds,
    signer,
    clock,
    onAdminAuth: (result) => metrics.adminAuthTotal.inc({ result }),
    ...(config.browser.admin ? { browser: { ttlSeconds: config.browser.adminJwtTtlSeconds } } : {}),
  });
}

/** Tells every replica about committed agent changes; failures retry in the background until closed. */
export function createPropagator(stores: ReplayStores, logger: Logger): Opened<AgentChangePropagator> {
  const propagator = new AgentChangePropagator(stores.gate, stores.bus, {
    onError: (agentId, version, attempt, err) =>
      logger.warn({ err, agentId, version, attempt }, "agent change committed but not yet propagated; retrying (replicas re-read it within the staleness bound)"),
  });
  return { value: propagator, close: () => propagator.close() };
}

export interface HandlerDeps {
  readonly config: Config;
  readonly storage: SqlStorage;
  readonly stores: ReplayStores;
  readonly propagator: AgentChangePropagator;
  readonly signer: Signer;
  readonly keySet: IssuerKeySet;
  readonly adminTokens: AdminTokenService;
  readonly verify: VerifyPath;
  readonly clock: Clock;
  /** Signs the chain head now (an export ends on a fresh checkpoint). */
  readonly checkpointNow: () => Promise<unknown>;
}

/** Everything the handlers of src/api call. */
export function createHandlerDeps(deps: HandlerDeps): ApiDeps {
  const { config, storage, stores, keySet, clock, verify } = deps;
  const issuerUrl = config.issuer.issuerUrl;
  const uow = storage.unitOfWork;
  const minting = new CredentialMinting({ signer: deps.signer, keySet, clock, issuerUrl, credentialTtlSeconds: config.issuer.credentialTtlSeconds });
  const relyingPartyOrgs = config.peers.relyingPartyOrgs;
  const proofWindow = proofWindowOf(config);
  const agents = new AgentService({
    uow,
    reads: storage.read,
    clock,
    minting,
    propagator: deps.propagator,
    serviceAudience: issuerUrl,
    proofWindow,
    relyingPartyOrgs,
  });
  const renewalsPerMinute = config.issuer.renewalsPerMinute;
  const renewal = new CredentialRenewal({ uow, clock, agents, minting, gate: stores.gate, serviceAudience: issuerUrl, proofWindow, renewalsPerMinute });
  const telemetry = new TelemetryService({
    uow,
    reads: storage.read,
    clock,
    agents,
    relyingPartyOrgs,
    scorer: verify.trust,
  });
  return {
    tokens: new AuditedTokenExchanger(deps.adminTokens, uow, clock),
    orgs: new OrgService({ uow, reads: storage.read, clock }),
    audit: new AuditQuery(storage.read.audit, keySet, clock, deps.checkpointNow),
    agents,
    renewal,
    telemetry,
    verifier: verify.verifier,
    handshakes: verify.handshakes,
    sessions: verify.sessions,
    keySet,
  };
}
