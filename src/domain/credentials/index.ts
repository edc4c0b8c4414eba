/**
 * The credentials module (the issuer): the issuer key set and its JWKS, signing and recording agent
 * credentials, the cached credential check of the Verify path, and the signer health probe.
 */
import type { Clock } from "../clock.js";
import type { Signer } from "../keys/index.js";
import { CredentialVerifier } from "./credentials.js";
import { IssuerKeySet } from "./key-set.js";
import { CredentialMinting } from "./minting.js";
import type { IssuerKeyRepository } from "./ports.js";

export { CredentialVerifier, issueCredential, type CredentialSubject, type IssuedCredential } from "./credentials.js";
export { buildJwks, etagMatches, formatTrustedKeys, JWKS_MAX_AGE_SECONDS, jwksHttpResponse, publicMembers } from "./jwks.js";
export { IssuerKeySet } from "./key-set.js";
export type { CredentialMinting } from "./minting.js";
export type {
  CredentialRepository,
  CredentialTx,
  CredentialUnitOfWork,
  IssuedCredentialRecord,
  IssuerKeyRecord,
  IssuerKeyRepository,
  IssuerKeyStatus } from "./ports.js";
export { createSignerProbe } from "./signer-probe.js";

interface CredentialsDeps {
  /** The issuer key that signs credentials (file JWK or KMS). */
  readonly signer: Signer;
  readonly issuerKeys: IssuerKeyRepository;
  readonly clock: Clock;
  /** The "iss" of credentials (ISSUER_URL). */
  readonly issuerUrl: string;
  readonly credentialTtlSeconds: number;
}

interface Credentials {
  readonly keySet: IssuerKeySet;
  readonly minting: CredentialMinting;
  readonly verifier: CredentialVerifier;
}

/** The issuer's services; call keySet.ensureActive(signer) before issuing. verifier.close() unsubscribes it. */
export function createCredentials(deps: CredentialsDeps): Credentials {
  const keySet = new IssuerKeySet({
    repository: deps.issuerKeys,
    clock: deps.clock,
    maxCredentialTtlSeconds: deps.credentialTtlSeconds });
  return {
    keySet,
    minting: new CredentialMinting({ ...deps, keySet }),
    verifier: new CredentialVerifier({ keySet, issuer: deps.issuerUrl, clock: deps.clock }) };
}
