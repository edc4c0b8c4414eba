/**
 * Admin CLI connection settings: flags first, then the environment (and `.env`), then the development material
 * under certs/dev, so `npm run admin -- ...` works against `npm start` with nothing set.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { Environment } from "../../config/env-file.js";
import type { Args } from "./args.js";
import { localError, usageError } from "./failures.js";

export type WireProtocol = "grpc" | "connect";

export interface ConnectionSettings {
  /** Base URL of the mTLS port, e.g. https://localhost:8443. */
  readonly addr: string;
  readonly serverName: string | undefined;
  readonly protocol: WireProtocol;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly timeoutMs: number;
  /** Where the admin API key comes from, for error lines (never the key itself). */
  readonly apiKeySource: string;
  /** Service audience (ISSUER_URL) override; default: the "iss" of the admin JWT. */
  readonly issuerUrl: string | undefined;
  /** Restrict the admin JWT to one organisation (ExchangeToken org_id). */
  readonly tokenOrg: string | undefined;
}

/** The settings plus the API key, kept apart so the settings can be printed or logged safely. */
export interface ResolvedSettings {
  readonly connection: ConnectionSettings;
  readonly apiKey: () => string;
}

/** Environment variables the CLI reads (README "Admin CLI"). */
export const ADMIN_CLI_VARIABLES = [
  "AGENT_IDENTITY_ADDR",
  "AGENT_IDENTITY_DEV_DIR",
  "AGENT_IDENTITY_CA_FILE",
  "AGENT_IDENTITY_CERT_FILE",
  "AGENT_IDENTITY_KEY_FILE",
  "AGENT_IDENTITY_TLS_SERVER_NAME",
  "AGENT_IDENTITY_PROTOCOL",
  "AGENT_IDENTITY_TIMEOUT_MS",
  "AGENT_IDENTITY_ISSUER_URL",
  "ADMIN_API_KEY",
  "ADMIN_API_KEYS",
  "ADMIN_API_KEY_FILE",
] as const;

function envValue(env: Environment, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

function parseAddr(addr: string): string {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw usageError(`the address ${JSON.stringify(addr)} is not a URL such as https://localhost:8443 (--addr, AGENT_IDENTITY_ADDR)`);
  }
  if (url.protocol !== "https:") throw usageError("the address must use https: the admin API is served on the mTLS port (--addr)");
  return addr.replace(/\/+$/, "");
}

/** The admin API key: ADMIN_API_KEY, else the first of ADMIN_API_KEYS, else the key file (dev default). */
function apiKeyReader(env: Environment, keyFile: string, fromFlag: boolean): { source: string; read: () => string } {
  const single = envValue(env, "ADMIN_API_KEY");
  if (single !== undefined && !fromFlag) return { source: "ADMIN_API_KEY", read: () => single };
  const first = envValue(env, "ADMIN_API_KEYS")?.split(",")[0]?.trim();
  if (first !== undefined && first !== "" && !fromFlag) return { source: "ADMIN_API_KEYS (first key)", read: () => first };
  return {
    source: keyFile,
    read: () => {
      let key: string;
      try {
        key = readFileSync(keyFile, "utf8").trim();
      } catch {
        throw localError(`no admin API key: set ADMIN_API_KEY, or --api-key-file / ADMIN_API_KEY_FILE to a readable file (tried ${keyFile})`);
      }
      if (key === "") throw localError(`the admin API key file ${keyFile} is empty`);
      return key;
    },
  };
}

/** Resolves the connection settings; relative paths are taken from `cwd`. */
export function resolveSettings(args: Args, env: Environment, cwd: string): ResolvedSettings {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  const pick = (flag: string, variable: string): string | undefined => args.string(flag) ?? envValue(env, variable);
  const devDir = abs(pick("dev-dir", "AGENT_IDENTITY_DEV_DIR") ?? "certs/dev");
  const file = (flag: string, variable: string, devName: string): string => abs(pick(flag, variable) ?? join(devDir, devName));
  const protocol = pick("protocol", "AGENT_IDENTITY_PROTOCOL") ?? "grpc";
  if (protocol !== "grpc" && protocol !== "connect") throw usageError("--protocol must be grpc or connect");
  const timeoutText = pick("timeout-ms", "AGENT_IDENTITY_TIMEOUT_MS") ?? "15000";
  if (!/^\d+$/.test(timeoutText) || Number(timeoutText) < 100 || Number(timeoutText) > 600_000) {
    throw usageError("--timeout-ms (AGENT_IDENTITY_TIMEOUT_MS) must be a whole number 100..600000");
  }
  const keyFlag = args.string("api-key-file");
  const apiKey = apiKeyReader(env, abs(keyFlag ?? envValue(env, "ADMIN_API_KEY_FILE") ?? join(devDir, "admin-api-key")), keyFlag !== undefined);
  return {
    connection: {
      addr: parseAddr(pick("addr", "AGENT_IDENTITY_ADDR") ?? "https://localhost:8443"),
      serverName: pick("server-name", "AGENT_IDENTITY_TLS_SERVER_NAME"),
      protocol,
      caFile: file("tls-ca", "AGENT_IDENTITY_CA_FILE", "ca.crt"),
      certFile: file("tls-cert", "AGENT_IDENTITY_CERT_FILE", "admin.crt"),
      keyFile: file("tls-key", "AGENT_IDENTITY_KEY_FILE", "admin.key"),
      timeoutMs: Number(timeoutText),
      apiKeySource: apiKey.source,
      issuerUrl: pick("issuer-url", "AGENT_IDENTITY_ISSUER_URL"),
      tokenOrg: args.string("token-org"),
    },
    apiKey: apiKey.read,
  };
}
