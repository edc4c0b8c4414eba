/**
 * The API tier's harness: the composed services (PGlite in memory, in-memory replay stores) behind the real
 * listener routes and interceptor chain, called through createRouterTransport: no sockets. The peer a TLS socket
 * would give is injected by a test-only first interceptor, derived from the dev client certificate exactly as the
 * mTLS listener derives it.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, createRouterTransport, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { composeServices, type Services } from "../../src/app/services.js";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { loadConfig } from "../../src/config/load.js";
import type { Clock } from "../../src/domain/clock.js";
import type { Peer } from "../../src/domain/peer.js";
import { listenerKey, peerKey, peerRefusalKey, type ListenerKind } from "../../src/server/context.js";
import { derivePeer } from "../../src/server/peer-identity.js";
import { listenerRoutes, serverInterceptors } from "../../src/server/router.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { bearer, testEnvironment, testMaterial, type AdminClients, type Identity, type ServiceUnderTest } from "./service-under-test.js";

/** Who calls: a dev identity on the mTLS listener, or any listener / peer / refusal the test chooses. */
export type Caller = Identity | { readonly listener: ListenerKind; readonly peer?: Peer; readonly refusal?: string };

export interface ApiHarnessOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly clock?: Clock;
}

export interface ApiHarness extends ServiceUnderTest {
  readonly services: Services;
  /** Every log line the service wrote at info level and above, parsed. */
  readonly logs: Record<string, unknown>[];
  /** The peer the mTLS listener would derive from this dev identity's client certificate. */
  peerOf(identity: Identity): Peer;
  transport(caller: Caller, interceptors?: Interceptor[]): Transport;
  clientAs<S extends DescService>(service: S, caller: Caller, interceptors?: Interceptor[]): Client<S>;
  close(): Promise<void>;
}

/** Sets what the listener's contextValues would: the listener, and the peer or why there is none. */
function asCaller(listener: ListenerKind, peer: Peer | undefined, refusal: string | undefined): Interceptor {
  return (next) => (req) => {
    req.contextValues.set(listenerKey, listener);
    if (peer !== undefined) req.contextValues.set(peerKey, peer);
    else if (refusal !== undefined) req.contextValues.set(peerRefusalKey, refusal);
    return next(req);
  };
}

function logSink(logs: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
}

/** Composes the service on fresh material and an in-memory database; open one per test file. */
export async function openApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const material: DevMaterial = await testMaterial();
  const config = loadConfig(testEnvironment(material, options.env), { devMaterial: material });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "info", destination: logSink(logs) });
  const services = await composeServices(config, { logger, processMetrics: false, clock: options.clock });
  const peers = new Map<Identity, Peer>();
  const peerOf = (identity: Identity): Peer => {
    let peer = peers.get(identity);
    if (peer === undefined) {
      const der = new X509Certificate(readFileSync(material.clients[identity].certFile)).raw;
      const derived = derivePeer(der, config.peers);
      if (!derived.ok) throw new Error(`dev certificate of ${identity} gives no peer: ${derived.reason}`);
      peer = derived.peer;
      peers.set(identity, peer);
    }
    return peer;
  };
  const chain = serverInterceptors(services);
  const transport = (caller: Caller, interceptors: Interceptor[] = []): Transport => {
    const c = typeof caller === "string" ? { listener: "mtls" as const, peer: peerOf(caller), refusal: undefined } : caller;
    return createRouterTransport(listenerRoutes(c.listener, services), {
      transport: { interceptors },
      router: { interceptors: [asCaller(c.listener, c.peer, c.refusal), ...chain] },
    });
  };
  const adminApiKey = readFileSync(material.adminApiKeyFile, "utf8").trim();
  const clientAs = <S extends DescService>(service: S, caller: Caller, interceptors?: Interceptor[]): Client<S> =>
    createClient(service, transport(caller, interceptors));
  return {
    config,
    material,
    adminApiKey,
    services,
    logs,
    peerOf,
    transport,
    clientAs,
    client: clientAs,
    async adminClients(): Promise<AdminClients> {
      const res = await clientAs(AdminService, "admin").exchangeToken({}, { headers: { "x-admin-api-key": adminApiKey } });
      return {
        admin: clientAs(AdminService, "admin", [bearer(res.accessToken)]),
        registry: clientAs(AgentRegistryService, "admin", [bearer(res.accessToken)]),
        token: res.accessToken,
      };
    },
    verifier: () => clientAs(VerifierService, "relyingParty"),
    async close() {
      await services.close();
      rmSync(join(material.dir, ".."), { recursive: true, force: true });
    },
  };
}
