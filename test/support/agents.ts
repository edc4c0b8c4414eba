/** The one set of agent fixtures: keys, the manifest, registration, proofs and Verify requests, for any harness. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { CapabilityManifestSchema } from "../../gen/agentidentity/v1/common_pb.js";
import type { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import type { VerifierService, VerifyRequestSchema, VerifyResponse } from "../../gen/agentidentity/v1/verifier_pb.js";
import { AgentIdentityClient } from "../../src/client/agent.js";
import type { Clock } from "../../src/domain/clock.js";
import type { ServiceUnderTest } from "./service-under-test.js";

/** The manifest every test registers by default: payments with a EUR limit of 100.00. */
export const PAYMENTS_MANIFEST = {
  scopes: ["payments:write", "payments:read"],
  operations: ["payment.create", "payment.refund"],
  amountLimits: [{ currency: "EUR", maxAmountMinor: 10_000n }],
} satisfies MessageInitShape<typeof CapabilityManifestSchema>;

export interface RegisteredAgent {
  readonly agentId: string;
  readonly orgId: string;
  readonly key: AgentIdentityClient;
  /** The credential RegisterAgent returned. */
  readonly credential: string;
}

export interface AgentKeyOptions {
  readonly alg?: "ES256" | "EdDSA";
  readonly clock?: Clock;
  readonly agentId?: string;
}

/** A fresh agent key (ES256 by default) held by the agent-side helper, on `clock` (every tier's agent keys). */
export async function newAgentKey(serviceAudience: string | undefined, options: AgentKeyOptions = {}): Promise<{ client: AgentIdentityClient; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair(options.alg ?? "ES256", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const client = await AgentIdentityClient.fromJwk(privateJwk, { serviceAudience, clock: options.clock, agentId: options.agentId });
  return { client, privateJwk };
}

export interface RegisterOptions {
  readonly registry?: Client<typeof AgentRegistryService>;
  /** Created (with a random name) when not given. */
  readonly orgId?: string;
  readonly displayName?: string;
  readonly clock?: Clock;
  readonly alg?: "ES256" | "EdDSA";
  readonly capabilities?: MessageInitShape<typeof CapabilityManifestSchema>;
}

/** Creates an org (unless given) and registers an agent with a fresh key through an admin registry client. */
export async function registerAgent(t: ServiceUnderTest, options: RegisterOptions = {}): Promise<RegisteredAgent> {
  const clients = options.registry === undefined || options.orgId === undefined ? await t.adminClients() : undefined;
  const registry = options.registry ?? clients!.registry;
  let orgId = options.orgId;
  if (orgId === undefined) {
    const { org } = await clients!.admin.createOrg({ name: `org ${Math.random().toString(36).slice(2, 10)}` });
    orgId = org!.id;
  }
  const audience = t.config.issuer.issuerUrl;
  const { client: key } = await newAgentKey(audience, { alg: options.alg, clock: options.clock });
  const res = await registry.registerAgent({
    orgId,
    displayName: options.displayName ?? "billing bot",
    publicJwk: JSON.stringify(key.publicJwk),
    capabilities: create(CapabilityManifestSchema, options.capabilities ?? PAYMENTS_MANIFEST),
    possessionProof: await key.makePossessionProof({ op: "agent.register", audience, orgId }),
  });
  key.agentId = res.agent!.id;
  return { agentId: res.agent!.id, orgId, key, credential: res.credential!.token };
}

/** The request a proof signs: defaults to a 5.00 EUR payment. */
export interface PaymentRequest {
  readonly scope?: string;
  readonly operation?: string;
  readonly amountMinor?: bigint;
  readonly currency?: string;
}

function withDefaults(r: PaymentRequest): Required<PaymentRequest> {
  return {
    scope: r.scope ?? "payments:write",
    operation: r.operation ?? "payment.create",
    amountMinor: r.amountMinor ?? 500n,
    currency: r.currency ?? "EUR",
  };
}

/** A proof by `key` for `audience` over the request, bound to `presented` (credential or session token). */
export function proofFor(
  key: AgentIdentityClient,
  audience: string,
  presented: string,
  request: PaymentRequest = {},
  overrides: { jti?: string; iatSeconds?: number } = {},
): Promise<string> {
  const r = withDefaults(request);
  return key.makeProof({
    audience,
    scope: r.scope,
    op: r.operation,
    amountMinor: r.amountMinor,
    currency: r.currency,
    credentialOrSession: presented,
    ...overrides,
  });
}

/** A VerifyRequest presenting a credential (or a session token) with `proof` for the request. */
export function verifyRequest(
  presented: { credential: string } | { sessionToken: string },
  proof: string,
  request: PaymentRequest = {},
): MessageInitShape<typeof VerifyRequestSchema> {
  const r = withDefaults(request);
  return {
    presented: "credential" in presented ? { case: "credential", value: presented.credential } : { case: "sessionToken", value: presented.sessionToken },
    proof,
    scope: r.scope,
    operation: r.operation,
    amountMinor: r.amountMinor,
    currency: r.currency,
  };
}

/** Verify with a fresh proof (5.00 EUR payment) by the agent, presenting `credential`, as the dev relying party. */
export async function verifyOnce(
  t: ServiceUnderTest,
  verifier: Client<typeof VerifierService>,
  key: AgentIdentityClient,
  credential: string,
): Promise<VerifyResponse> {
  const proof = await proofFor(key, t.material.clients.relyingParty.identity, credential);
  return verifier.verify(verifyRequest({ credential }, proof));
}
