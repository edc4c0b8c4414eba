/** Composition steps of the issuer: its signer (file JWK or AWS KMS) and its key set, with the signer probe. */
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { loadFileSigner } from "../adapters/signer/file-signer.js";
import { createKmsSigner } from "../adapters/signer/kms-signer.js";
import type { SqlPersister } from "../adapters/sql/persister.js";
import type { Config } from "../config/types.js";
import type { Clock } from "../domain/clock.js";
import { createCredentials, createSignerProbe, type CredentialMinting, type CredentialVerifier, type IssuerKeySet } from "../domain/credentials/index.js";
import type { Signer } from "../domain/keys/index.js";
import type { HealthRegistry } from "../server/health-registry.js";
import type { Opened } from "./closers.js";

/** The issuer signer named by the configuration: KMS_KEY_ARN wins over ISSUER_PRIVATE_JWK_FILE. */
export async function openIssuerSigner(config: Config): Promise<Opened<Signer>> {
  const kms = config.issuer.kms;
  if (kms !== undefined) {
    const signer = await createKmsSigner({ keyArn: kms.keyArn, region: kms.region, endpoint: kms.endpoint });
    return { value: signer, close: () => signer.close() };
  }
  const file = config.issuer.privateJwkFile;
  if (file === undefined) throw new Error("no issuer key configured (ISSUER_PRIVATE_JWK_FILE or KMS_KEY_ARN)");
  return { value: await loadFileSigner(file), close: () => undefined };
}

/** The issuer's services: the key set, credential minting and the Verify path's cached credential check. */
export interface IssuerServices {
  readonly keySet: IssuerKeySet;
  readonly minting: CredentialMinting;
  readonly verifier: CredentialVerifier;
}

/**
 * The issuer's services with the signer's key active. A signer outage degrades only the issuing RPCs (the probe
 * signs on its own timer and reports "signer"); Verify keeps serving.
 */
export async function createIssuerKeys(
  config: Config,
  signer: Signer,
  storage: SqlPersister,
  clock: Clock,
  health: HealthRegistry,
): Promise<Opened<IssuerServices>> {
  const issuer = createCredentials({
    signer,
    issuerKeys: storage.read.issuerKeys,
    clock,
    issuerUrl: config.issuer.issuerUrl,
    credentialTtlSeconds: config.issuer.credentialTtlSeconds,
  });
  await issuer.keySet.ensureActive(signer);
  health.declare("signer", [AgentRegistryService.typeName]);
  const probe = createSignerProbe(signer, clock, config.health.signerProbeIntervalSeconds * 1000, (status) =>
    health.report("signer", status.ok ? { ok: true } : { ok: false, error: status.error ?? "signer failed" }),
  );
  return {
    value: issuer,
    close: () => {
      probe.stop();
      issuer.verifier.close();
    },
  };
}
