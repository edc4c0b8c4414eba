/** Pilot smoke settings from the environment: address, client certificates, admin key, expected rate limit. */
import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { Environment } from "../../config/env-file.js";

/** One client certificate and its private key (PEM file paths). */
export interface ClientFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface PilotSettings {
  /** Base URL of the mTLS port, e.g. https://localhost:8443. */
  readonly addr: string;
  /** TLS server name to check instead of the address's host (optional). */
  readonly serverName: string | undefined;
  /** CA bundle the server certificate chains to. */
  readonly caFile: string;
  readonly admin: ClientFiles;
  readonly relyingParty: ClientFiles;
  readonly agent: ClientFiles;
  /** The admin API key (never printed). */
  readonly adminApiKey: string;
  /** Proof audience override; default: the relying-party certificate's URI SAN. */
  readonly rpAudience: string | undefined;
  /** Service audience (ISSUER_URL) override; default: the "iss" of the admin JWT. */
  readonly issuerUrl: string | undefined;
  /** The service's expected per-caller / per-agent limit per minute; the rate-limit step sends at most 2x + 50. */
  readonly expectedRateLimit: number;
  /** Deadline of each RPC, ms. */
  readonly timeoutMs: number;
  /** Where to keep the audit export (optional; JSON Lines, readable by `npm run audit:verify`). */
  readonly auditExportFile: string | undefined;
  /** The sidecar's base URL (its /readyz names a replay restart window); default http://<PILOT_ADDR host>:8080. */
  readonly sidecarUrl: string;
}

export class PilotSettingsError extends Error {
  override readonly name = "PilotSettingsError";
}

function value(env: Environment, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
}

function positiveInteger(env: Environment, name: string, fallback: number, max: number): number {
  const v = value(env, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new PilotSettingsError(`${name} must be a whole number 1..${max}`);
  return Number(v);
}

/**
 * The admin API key, first found of: PILOT_ADMIN_API_KEY, the file PILOT_ADMIN_API_KEY_FILE names, the
 * service's own ADMIN_API_KEY, the first (current) key of ADMIN_API_KEYS, the development key file.
 */
function adminApiKeyOf(env: Environment, file: (name: string, devName: string) => string): string {
  const direct = value(env, "PILOT_ADMIN_API_KEY") ?? (value(env, "PILOT_ADMIN_API_KEY_FILE") === undefined ? serviceKey(env) : undefined);
  if (direct !== undefined) return direct;
  const keyFile = file("PILOT_ADMIN_API_KEY_FILE", "admin-api-key");
  let key: string;
  try {
    key = readFileSync(keyFile, "utf8").trim();
  } catch {
    throw new PilotSettingsError(`set ADMIN_API_KEY (or PILOT_ADMIN_API_KEY), or PILOT_ADMIN_API_KEY_FILE to a readable file (tried ${keyFile})`);
  }
  if (key === "") throw new PilotSettingsError(`the admin API key file ${keyFile} is empty`);
  return key;
}

/** The key the service itself is given: ADMIN_API_KEY, or the first of ADMIN_API_KEYS (current, then next). */
function serviceKey(env: Environment): string | undefined {
  const current = value(env, "ADMIN_API_KEYS")?.split(",")[0]?.trim();
  return value(env, "ADMIN_API_KEY") ?? (current === "" ? undefined : current);
}

/** The variables that name a deployed service to test: an address or an admin key given to this process. */
export const LIVE_TARGET_VARIABLES = ["PILOT_ADDR", "PILOT_ADMIN_API_KEY", "PILOT_ADMIN_API_KEY_FILE", "ADMIN_API_KEY", "ADMIN_API_KEYS"] as const;

/** The first of LIVE_TARGET_VARIABLES set in `env`, if any (`npm run test:integration` then targets that service). */
export function liveTargetVariable(env: Environment): string | undefined {
  return LIVE_TARGET_VARIABLES.find((name) => value(env, name) !== undefined);
}

/**
 * Reads the settings. Every file defaults to the development material under `<projectRoot>/certs/dev` (or
 * PILOT_DEV_DIR), so the smoke runs against `npm start` with no environment at all.
 */
export function readPilotSettings(env: Environment, projectRoot: string): PilotSettings {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(projectRoot, p));
  const devDir = abs(value(env, "PILOT_DEV_DIR") ?? "certs/dev");
  const file = (name: string, devName: string): string => abs(value(env, name) ?? join(devDir, devName));
  const addr = value(env, "PILOT_ADDR") ?? "https://localhost:8443";
  let parsed: URL;
  try {
    parsed = new URL(addr);
  } catch {
    throw new PilotSettingsError("PILOT_ADDR must be a URL such as https://localhost:8443");
  }
  if (parsed.protocol !== "https:") throw new PilotSettingsError("PILOT_ADDR must use https (the mTLS port)");

  const adminApiKey = adminApiKeyOf(env, file);
  const exportFile = value(env, "PILOT_AUDIT_EXPORT_FILE");
  const sidecarUrl = value(env, "PILOT_SIDECAR_URL") ?? `http://${parsed.host.replace(/:\d+$/, "")}:8080`;
  if (!/^https?:\/\//.test(sidecarUrl)) throw new PilotSettingsError("PILOT_SIDECAR_URL must be an http(s) URL such as http://localhost:8080");
  return {
    addr: addr.replace(/\/+$/, ""),
    serverName: value(env, "PILOT_TLS_SERVER_NAME"),
    caFile: file("PILOT_CA_FILE", "ca.crt"),
    admin: { certFile: file("PILOT_ADMIN_CERT_FILE", "admin.crt"), keyFile: file("PILOT_ADMIN_KEY_FILE", "admin.key") },
    relyingParty: { certFile: file("PILOT_RP_CERT_FILE", "rp-example.crt"), keyFile: file("PILOT_RP_KEY_FILE", "rp-example.key") },
    agent: { certFile: file("PILOT_AGENT_CERT_FILE", "agent-example.crt"), keyFile: file("PILOT_AGENT_KEY_FILE", "agent-example.key") },
    adminApiKey,
    rpAudience: value(env, "PILOT_RP_AUDIENCE"),
    issuerUrl: value(env, "PILOT_ISSUER_URL"),
    expectedRateLimit: positiveInteger(env, "PILOT_RATE_LIMIT", 600, 100_000),
    timeoutMs: positiveInteger(env, "PILOT_TIMEOUT_MS", 15_000, 600_000),
    auditExportFile: exportFile === undefined ? undefined : abs(exportFile),
    sidecarUrl: sidecarUrl.replace(/\/+$/, ""),
  };
}
