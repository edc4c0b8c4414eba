/** mTLS Connect-node gRPC clients for the pilot smoke's three identities (admin, relying party, agent). */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
import type { ClientFiles, PilotSettings } from "./settings.js";

export const ADMIN_API_KEY_HEADER = "x-admin-api-key";

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A gRPC transport presenting one client certificate. */
export function mtlsTransport(settings: PilotSettings, files: ClientFiles, interceptors: Interceptor[] = []): Transport {
  return createGrpcTransport({
    baseUrl: settings.addr,
    interceptors,
    defaultTimeoutMs: settings.timeoutMs,
    nodeOptions: {
      ca: readPem(settings.caFile, "CA file"),
      cert: readPem(files.certFile, "client certificate"),
      key: readPem(files.keyFile, "client key"),
      ...(settings.serverName !== undefined ? { servername: settings.serverName } : {}),
    },
  });
}

/** The single URI SAN of a certificate (its SPIFFE identity). */
export function certificateIdentity(certFile: string): string {
  const cert = new X509Certificate(readPem(certFile, "client certificate"));
  const uris = (cert.subjectAltName ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("URI:"))
    .map((s) => s.slice(4));
  if (uris.length !== 1) throw new Error(`${certFile} must carry exactly one URI SAN (found ${uris.length})`);
  return uris[0]!;
}

/** Adds "authorization: Bearer <token>" to every call. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

export interface PilotClients {
  /** Admin peer without a JWT (for ExchangeToken). */
  readonly exchange: Client<typeof AdminService>;
  /** Admin peer with the admin JWT. */
  admin(token: string): { admin: Client<typeof AdminService>; registry: Client<typeof AgentRegistryService> };
  readonly verifier: Client<typeof VerifierService>;
  /** The registry as the agent peer (credential renewal). */
  readonly agentRegistry: Client<typeof AgentRegistryService>;
}

export function pilotClients(settings: PilotSettings): PilotClients {
  return {
    exchange: createClient(AdminService, mtlsTransport(settings, settings.admin)),
    admin(token) {
      const transport = mtlsTransport(settings, settings.admin, [bearer(token)]);
      return { admin: createClient(AdminService, transport), registry: createClient(AgentRegistryService, transport) };
    },
    verifier: createClient(VerifierService, mtlsTransport(settings, settings.relyingParty)),
    agentRegistry: createClient(AgentRegistryService, mtlsTransport(settings, settings.agent)),
  };
}
