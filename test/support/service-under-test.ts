/** What every test harness offers (over the wire or through the router): identities, clients, config, material. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import type { Client, Interceptor } from "@connectrpc/connect";
import type { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import type { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import type { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { prepareDevelopmentMaterial, type DevMaterial } from "../../src/config/dev-material.js";
import type { Config } from "../../src/config/types.js";

/** The development identities (client certificates) of the generated material. */
export type Identity = "admin" | "relyingParty" | "agent";

export interface AdminClients {
  readonly admin: Client<typeof AdminService>;
  readonly registry: Client<typeof AgentRegistryService>;
  /** The admin JWT the clients send. */
  readonly token: string;
}

/** The service as a test sees it; the fixtures in agents.ts work on any of them. */
export interface ServiceUnderTest {
  readonly config: Config;
  readonly material: DevMaterial;
  readonly adminApiKey: string;
  client<S extends DescService>(service: S, identity: Identity, interceptors?: Interceptor[]): Client<S>;
  /** Admin clients whose calls carry a fresh admin JWT (exchanged with the admin API key). */
  adminClients(): Promise<AdminClients>;
  /** A relying-party Verifier client. */
  verifier(): Client<typeof VerifierService>;
}

/** Generates development material once into a temporary directory (per test file). */
export async function testMaterial(): Promise<DevMaterial> {
  const dir = mkdtempSync(join(tmpdir(), "aid-test-"));
  return prepareDevelopmentMaterial(join(dir, "dev"), () => undefined);
}

/** The environment every harness starts from: development, ports 0, silent, embedded database, the dev RP reads all orgs. */
export function testEnvironment(material: DevMaterial, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    APP_ENV: "development",
    HOST: "127.0.0.1",
    GRPC_PORT: "0",
    BROWSER_PORT: "0",
    SIDECAR_PORT: "0",
    LOG_LEVEL: "silent",
    PGLITE_DATA_DIR: "memory://",
    AUDIT_CHECKPOINT_INTERVAL_SECONDS: "3600",
    RELYING_PARTY_ORGS: `${material.clients.relyingParty.identity}=*`,
    ...extra,
  };
}

/** A bearer interceptor for an admin JWT. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
