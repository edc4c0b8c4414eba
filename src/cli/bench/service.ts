/** The bench's fixture on the running service: an admin session, one org and one registered agent with its credential. */
import { readFileSync } from "node:fs";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { exportJWK, generateKeyPair } from "jose";
import { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
import { AgentIdentityClient } from "../../client/agent.js";
import type { DevClientCertificate, DevMaterial } from "../../config/dev-material.js";
import { bearer } from "../pilot/clients.js";

export const BENCH_SCOPE = "bench:verify";
export const BENCH_OPERATION = "bench.call";

export interface BenchAgent {
  readonly credential: string;
  readonly privateJwk: Record<string, unknown>;
  /** The relying party's identity: the audience its proofs name. */
  readonly audience: string;
}

/** Registers an ES256 agent allowed BENCH_SCOPE / BENCH_OPERATION in a new org, through the admin API. */
export async function registerBenchAgent(material: DevMaterial, grpcPort: number, issuerUrl: string): Promise<BenchAgent> {
  const ca = readFileSync(material.caCertFile);
  const transport = (c: DevClientCertificate, interceptors: Interceptor[] = []): Transport =>
    createGrpcTransport({
      baseUrl: `https://localhost:${grpcPort}`,
      interceptors,
      nodeOptions: { ca, cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) },
    });
  const exchange = createClient(AdminService, transport(material.clients.admin));
  const apiKey = readFileSync(material.adminApiKeyFile, "utf8").trim();
  const { accessToken } = await exchange.exchangeToken({}, { headers: { "x-admin-api-key": apiKey } });
  const adminTransport = transport(material.clients.admin, [bearer(accessToken)]);
  const admin = createClient(AdminService, adminTransport);
  const registry = createClient(AgentRegistryService, adminTransport);
  const { org } = await admin.createOrg({ name: `bench-${Date.now()}` });
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const agent = await AgentIdentityClient.fromJwk(privateJwk, { serviceAudience: issuerUrl });
  const registered = await registry.registerAgent({
    orgId: org!.id,
    displayName: "bench agent",
    publicJwk: JSON.stringify(agent.publicJwk),
    capabilities: { scopes: [BENCH_SCOPE], operations: [BENCH_OPERATION], amountLimits: [] },
    possessionProof: await agent.makePossessionProof({ op: "agent.register", audience: issuerUrl, orgId: org!.id }),
  });
  return { credential: registered.credential!.token, privateJwk: { ...privateJwk }, audience: material.clients.relyingParty.identity };
}
