/**
 * The Connect-Web client for browser apps: the generated service stubs, a transport for the browser port (8444),
 * an admin session that keeps its JWT in memory only, and readable errors with the service's stable code.
 */
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";

export { AdminService } from "../../../gen/agentidentity/v1/admin_pb.js";
export { AgentRegistryService } from "../../../gen/agentidentity/v1/registry_pb.js";
export { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
export * from "../../../gen/agentidentity/v1/common_pb.js";

/** The request header ExchangeToken reads the admin API key from. */
export const ADMIN_API_KEY_HEADER = "x-admin-api-key";

export interface BrowserTransportOptions {
  /** The browser port's origin, e.g. "https://identity.example.com:8444" (default: the page's own origin). */
  readonly baseUrl?: string;
  /** Called per request; a returned token is sent as "authorization: Bearer <token>". */
  readonly token?: () => string | undefined;
  readonly interceptors?: readonly Interceptor[];
}

function pageOrigin(): string {
  const location = (globalThis as { location?: { origin: string } }).location;
  if (location === undefined) throw new Error("baseUrl is required outside a browser page");
  return location.origin;
}

/** A Connect-protocol transport (JSON over fetch) for the browser port. */
export function createBrowserTransport(options: BrowserTransportOptions = {}): Transport {
  const bearer: Interceptor = (next) => (req) => {
    const token = options.token?.();
    if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createConnectTransport({
    baseUrl: options.baseUrl ?? pageOrigin(),
    useBinaryFormat: false,
    interceptors: [bearer, ...(options.interceptors ?? [])],
  });
}

/** An API error as an operator reads it: gRPC code name, the service's stable code, message, retry hint. */
export interface ReadableError {
  readonly code: string;
  /** The x-error-code header (e.g. "agent.not_found"), when the service sent one. */
  readonly errorCode: string | undefined;
  readonly message: string;
  readonly retryAfterSeconds: number | undefined;
}

/** Turns anything a client call threw into a ReadableError. */
export function readableError(e: unknown): ReadableError {
  const err = ConnectError.from(e);
  const retry = err.metadata.get("retry-after");
  return {
    code: Code[err.code] ?? String(err.code),
    errorCode: err.metadata.get("x-error-code") ?? undefined,
    message: err.rawMessage,
    retryAfterSeconds: retry === null ? undefined : Number(retry),
  };
}

export interface AdminClients {
  readonly admin: Client<typeof AdminService>;
  readonly registry: Client<typeof AgentRegistryService>;
  readonly verifier: Client<typeof VerifierService>;
}

/**
 * Signs in with the admin API key (ExchangeToken on the browser port) and keeps the admin JWT in this object only:
 * nothing is written to cookies or web storage, so a reload or signOut() forgets it.
 */
export class BrowserAdminSession {
  #token: string | undefined;
  #expiresAtMs = 0;
  readonly clients: AdminClients;
  readonly #transport: Transport;

  constructor(options: Omit<BrowserTransportOptions, "token"> = {}) {
    this.#transport = createBrowserTransport({ ...options, token: () => this.#token });
    this.clients = {
      admin: createClient(AdminService, this.#transport),
      registry: createClient(AgentRegistryService, this.#transport),
      verifier: createClient(VerifierService, this.#transport),
    };
  }

  /** @throws ConnectError (UNAUTHENTICATED admin.key_invalid, RESOURCE_EXHAUSTED with retry-after, ...). */
  async signIn(apiKey: string): Promise<{ subject: string; expiresAtMs: number }> {
    this.signOut();
    const res = await this.clients.admin.exchangeToken({}, { headers: { [ADMIN_API_KEY_HEADER]: apiKey } });
    const expiresAtMs = res.expireTime === undefined ? 0 : Number(res.expireTime.seconds) * 1000;
    this.#token = res.accessToken;
    this.#expiresAtMs = expiresAtMs;
    return { subject: res.subject, expiresAtMs };
  }

  get signedIn(): boolean {
    return this.#token !== undefined && Date.now() < this.#expiresAtMs;
  }

  get expiresAtMs(): number {
    return this.#expiresAtMs;
  }

  signOut(): void {
    this.#token = undefined;
    this.#expiresAtMs = 0;
  }
}
