/** Shared steps of the identity/admin/audit end-to-end tests: agent keys, registration, proofs and error details. */
import { ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import type { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import type { VerifierService, VerifyResponse } from "../../gen/agentidentity/v1/verifier_pb.js";
import { AgentIdentityClient } from "../../src/client/agent.js";
import { BadRequestSchema } from "../../src/server/bad-request.js";
import type { TestApp } from "../support/app-harness.js";

/** A fresh agent key pair (private JWK) and its client helper. */
export async function newAgentKey(t: TestApp, alg: "ES256" | "EdDSA" = "ES256"): Promise<{ client: AgentIdentityClient; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  return { client: await AgentIdentityClient.fromJwk(privateJwk, { serviceAudience: t.config.issuer.issuerUrl }), privateJwk };
}

export const MANIFEST = {
  scopes: ["payments:write", "orders:read"],
  operations: ["payment.create"],
  amountLimits: [{ currency: "EUR", maxAmountMinor: 10_000n }],
};

export interface RegisteredAgent {
  readonly agentId: string;
  readonly credential: string;
  readonly key: AgentIdentityClient;
}

/** Registers an agent (ES256 key, MANIFEST) in `orgId` and returns its id, first credential and key. */
export async function registerAgent(
  t: TestApp,
  registry: Client<typeof AgentRegistryService>,
  orgId: string,
  displayName = "billing bot",
): Promise<RegisteredAgent> {
  const { client: key } = await newAgentKey(t);
  const res = await registry.registerAgent({
    orgId,
    displayName,
    publicJwk: JSON.stringify(key.publicJwk),
    capabilities: MANIFEST,
    possessionProof: await key.makePossessionProof({ op: "agent.register", audience: t.config.issuer.issuerUrl, orgId }),
  });
  const agentId = res.agent!.id;
  key.agentId = agentId;
  return { agentId, credential: res.credential!.token, key };
}

/** Verify with a fresh proof by `key` for `credential` (payments:write, payment.create, 500 EUR). */
export async function verifyOnce(
  t: TestApp,
  verifier: Client<typeof VerifierService>,
  key: AgentIdentityClient,
  credential: string,
): Promise<VerifyResponse> {
  const proof = await key.makeProof({
    audience: t.material.clients.relyingParty.identity,
    scope: "payments:write",
    op: "payment.create",
    amountMinor: 500n,
    currency: "EUR",
    credentialOrSession: credential,
  });
  return verifier.verify({
    presented: { case: "credential", value: credential },
    proof,
    scope: "payments:write",
    operation: "payment.create",
    amountMinor: 500n,
    currency: "EUR",
  });
}

/** The ConnectError a call fails with; throws when it succeeds. */
export async function failureOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** The fields named by the google.rpc.BadRequest detail of an error. */
export function violatedFields(err: ConnectError): string[] {
  const fields: string[] = [];
  for (const detail of err.findDetails(BadRequestSchema)) {
    const violations = (detail as { fieldViolations?: { field?: string }[] }).fieldViolations ?? [];
    for (const v of violations) fields.push(v.field ?? "");
  }
  return fields;
}
