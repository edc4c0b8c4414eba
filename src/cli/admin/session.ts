/** The admin CLI's connection: one mTLS transport (gRPC or Connect) with the admin certificate, clients, the admin JWT. */
import { readFileSync } from "node:fs";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { decodeJwt } from "jose";
import { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { localError } from "./failures.js";
import type { ConnectionSettings, ResolvedSettings } from "./settings.js";
import { AdminTokenSource, adminBearer } from "./token-source.js";

const ADMIN_API_KEY_HEADER = "x-admin-api-key";

export interface AdminSession {
  readonly settings: ConnectionSettings;
  readonly admin: Client<typeof AdminService>;
  readonly registry: Client<typeof AgentRegistryService>;
  readonly verifier: Client<typeof VerifierService>;
  readonly tokens: AdminTokenSource;
  /** The service audience for possession proofs: --issuer-url, else the admin JWT's "iss". */
  issuerUrl(): Promise<string>;
  /** Closes the HTTP/2 connection (calls are over). */
  close(): void;
}

function readPem(path: string, what: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const reason = e instanceof Error && "code" in e ? String(e.code) : "unreadable";
    throw localError(`cannot read the ${what} ${path} (${reason}); set ${flag} or run \`npm start\` once to generate certs/dev`);
  }
}

function transportFor(s: ConnectionSettings, source: AdminTokenSource): { transport: Transport; connection: Http2SessionManager } {
  const nodeOptions = {
    ca: readPem(s.caFile, "CA certificate", "--tls-ca"),
    cert: readPem(s.certFile, "client certificate", "--tls-cert"),
    key: readPem(s.keyFile, "client key", "--tls-key"),
    ...(s.serverName !== undefined ? { servername: s.serverName } : {}),
  };
  const connection = new Http2SessionManager(s.addr, {}, nodeOptions);
  const common = { baseUrl: s.addr, interceptors: [adminBearer(source)], defaultTimeoutMs: s.timeoutMs, sessionManager: connection };
  const transport = s.protocol === "grpc" ? createGrpcTransport(common) : createConnectTransport({ ...common, httpVersion: "2" });
  return { transport, connection };
}

/** Opens the session; nothing is sent until the first call (the exchange happens on the first admin call). */
export function openSession(resolved: ResolvedSettings): AdminSession {
  const s = resolved.connection;
  let iss: string | undefined;
  // Assigned below: the token source needs the client, the client's transport needs the token source.
  let exchangeClient: Client<typeof AdminService>;
  const tokens = new AdminTokenSource(async () => {
    const res = await exchangeClient.exchangeToken(
      { orgId: s.tokenOrg ?? "" },
      { headers: { [ADMIN_API_KEY_HEADER]: resolved.apiKey() } },
    );
    const claims = decodeJwt(res.accessToken);
    iss = typeof claims.iss === "string" ? claims.iss : undefined;
    const expiresAtMs = res.expireTime === undefined ? Date.now() : Number(res.expireTime.seconds) * 1000;
    return { token: res.accessToken, expiresAtMs };
  });
  const { transport, connection } = transportFor(s, tokens);
  exchangeClient = createClient(AdminService, transport);
  return {
    settings: s,
    admin: exchangeClient,
    registry: createClient(AgentRegistryService, transport),
    verifier: createClient(VerifierService, transport),
    tokens,
    close: () => connection.abort(),
    async issuerUrl() {
      if (s.issuerUrl !== undefined) return s.issuerUrl;
      await tokens.token();
      if (iss === undefined) throw localError("the admin JWT carries no iss; pass --issuer-url (the service's ISSUER_URL)");
      return iss;
    },
  };
}
