/** The secret-bearing parts of the config: TLS material, admin API keys and admin-token key, issuer key. */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { DevMaterial } from "./dev-material.js";
import type { EnvReader } from "./env-reader.js";
import { unreadableReason } from "./files.js";
import { privateJwkFileProblem, type PrivateKeyCurve } from "./jwk-file.js";
import type { Config, Mode } from "./types.js";
import { hashAdminApiKey, MIN_ADMIN_API_KEY_LENGTH, PLACEHOLDER_ADMIN_API_KEY } from "../domain/admin/index.js";

/** What the section readers share: the reader, the mode, where relative paths start, generated dev material. */
export interface SectionContext {
  readonly reader: EnvReader;
  readonly mode: Mode;
  readonly baseDir: string;
  readonly devMaterial: DevMaterial | undefined;
}

export function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function required(ctx: SectionContext, name: string, hint = ""): void {
  const where = ctx.mode === "production" ? "is required in production" : "is required";
  ctx.reader.problem(name, `${where}${hint}`);
}

/** A file path from `name`, else from the dev material, else a problem; checked readable when present. */
function filePath(ctx: SectionContext, name: string, devPath: string | undefined, pemLabel?: string): string {
  const value = ctx.reader.string(name);
  const path = value !== undefined ? resolvePath(ctx.baseDir, value) : devPath;
  if (path === undefined) {
    required(ctx, name);
    return "";
  }
  const reason = unreadableReason(path);
  if (reason !== undefined) {
    ctx.reader.problem(name, reason);
    return path;
  }
  if (pemLabel !== undefined && !readFileSync(path, "utf8").includes(pemLabel)) {
    ctx.reader.problem(name, `${path} has no PEM block "${pemLabel}"`);
  }
  return path;
}

/** TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE. */
export function readTls(ctx: SectionContext): Config["tls"] {
  const dev = ctx.devMaterial;
  return {
    certFile: filePath(ctx, "TLS_CERT_FILE", dev?.serverCertFile, "-----BEGIN CERTIFICATE-----"),
    keyFile: filePath(ctx, "TLS_KEY_FILE", dev?.serverKeyFile, "PRIVATE KEY-----"),
    clientCaFile: filePath(ctx, "TLS_CLIENT_CA_FILE", dev?.caCertFile, "-----BEGIN CERTIFICATE-----"),
  };
}

function jwkFile(ctx: SectionContext, name: string, devPath: string | undefined, curves: PrivateKeyCurve[]): string {
  const path = filePath(ctx, name, devPath);
  if (path === "" || unreadableReason(path) !== undefined) return path;
  const problem = privateJwkFileProblem(path, curves);
  if (problem !== undefined) ctx.reader.problem(name, problem);
  return path;
}

/** The admin API keys as they were given (current and next) and the variable that gave them. */
function adminKeys(ctx: SectionContext): { variable: string; keys: string[] } {
  const r = ctx.reader;
  const many = r.isSet("ADMIN_API_KEYS");
  const one = r.string("ADMIN_API_KEY");
  if (many && one !== undefined) r.problem("ADMIN_API_KEYS", "set ADMIN_API_KEYS or ADMIN_API_KEY, not both");
  if (many) return { variable: "ADMIN_API_KEYS", keys: r.list("ADMIN_API_KEYS") };
  if (one !== undefined) return { variable: "ADMIN_API_KEY", keys: [one] };
  if (ctx.devMaterial !== undefined) {
    const file = ctx.devMaterial.adminApiKeyFile;
    try {
      return { variable: "ADMIN_API_KEYS", keys: [readFileSync(file, "utf8").trim()] };
    } catch {
      r.problem("ADMIN_API_KEYS", `unset, and the development key file ${file} cannot be read`);
      return { variable: "ADMIN_API_KEYS", keys: [] };
    }
  }
  required(ctx, "ADMIN_API_KEYS", " (one or two comma-separated keys; ADMIN_API_KEY is accepted for one key)");
  return { variable: "ADMIN_API_KEYS", keys: [] };
}

/** ADMIN_API_KEYS / ADMIN_API_KEY, ADMIN_JWT_PRIVATE_JWK_FILE, ADMIN_JWT_MAX_TTL_SECONDS. */
export function readAdmin(ctx: SectionContext): Config["admin"] {
  const r = ctx.reader;
  const { variable, keys } = adminKeys(ctx);
  if (keys.length > 2) r.problem(variable, `holds ${keys.length} keys; at most two (current and next)`);
  if (keys.length === 2 && keys[0] === keys[1]) r.problem(variable, "the two keys are identical");
  keys.forEach((key, i) => {
    const which = keys.length > 1 ? `key ${i + 1}` : "the key";
    if (key === "") r.problem(variable, `${which} is empty`);
    else if (ctx.mode === "production" && key === PLACEHOLDER_ADMIN_API_KEY) {
      r.problem(variable, `${which} is the placeholder "${PLACEHOLDER_ADMIN_API_KEY}"; set a strong random key`);
    } else if (ctx.mode === "production" && key.length < MIN_ADMIN_API_KEY_LENGTH) {
      r.problem(variable, `${which} is shorter than ${MIN_ADMIN_API_KEY_LENGTH} characters`);
    }
  });
  return {
    apiKeyHashes: keys.map(hashAdminApiKey),
    jwtPrivateJwkFile: jwkFile(ctx, "ADMIN_JWT_PRIVATE_JWK_FILE", ctx.devMaterial?.adminTokenJwkFile, ["P-256"]),
    jwtMaxTtlSeconds: r.integer("ADMIN_JWT_MAX_TTL_SECONDS", 900, { min: 60, max: 900 }),
  };
}

const KMS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** ISSUER_URL, ISSUER_PRIVATE_JWK_FILE or KMS_KEY_ARN + AWS_REGION (+ KMS_ENDPOINT), TTLs. */
export function readIssuer(ctx: SectionContext, trustDomain: string): Config["issuer"] {
  const r = ctx.reader;
  const protocols = ctx.mode === "production" ? ["https:"] : ["https:", "http:"];
  const issuerUrl = r.url("ISSUER_URL", protocols) ?? `https://${trustDomain}`;

  const fileSet = r.isSet("ISSUER_PRIVATE_JWK_FILE");
  const keyArn = r.string("KMS_KEY_ARN");
  const region = r.string("AWS_REGION");
  const endpoint = r.url("KMS_ENDPOINT", ["https:", "http:"]);
  let privateJwkFile: string | undefined;
  let kms: Config["issuer"]["kms"];

  if (fileSet && keyArn !== undefined) {
    r.problem("ISSUER_PRIVATE_JWK_FILE", "set ISSUER_PRIVATE_JWK_FILE or KMS_KEY_ARN, not both");
  }
  if (keyArn !== undefined) {
    if (!KMS_ARN.test(keyArn)) r.problem("KMS_KEY_ARN", "must be a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>)");
    if (region === undefined) r.problem("AWS_REGION", "is required when KMS_KEY_ARN is set");
    else if (!AWS_REGION.test(region)) r.problem("AWS_REGION", "must be an AWS region such as eu-west-1");
    kms = { keyArn, region: region ?? "", endpoint };
  } else if (r.isSet("KMS_ENDPOINT")) {
    r.problem("KMS_ENDPOINT", "is set but KMS_KEY_ARN is not");
  }
  if (fileSet || (keyArn === undefined && ctx.devMaterial !== undefined)) {
    privateJwkFile = jwkFile(ctx, "ISSUER_PRIVATE_JWK_FILE", ctx.devMaterial?.issuerJwkFile, ["P-256", "Ed25519"]);
  } else if (keyArn === undefined) {
    required(ctx, "ISSUER_PRIVATE_JWK_FILE", " (an issuer key: a private JWK file, or KMS_KEY_ARN with AWS_REGION)");
  }
  return {
    issuerUrl,
    privateJwkFile,
    kms,
    credentialTtlSeconds: r.integer("CREDENTIAL_TTL_SECONDS", 3600, { min: 60, max: 7 * 86400 }),
    auditCheckpointIntervalSeconds: r.integer("AUDIT_CHECKPOINT_INTERVAL_SECONDS", 300, { min: 1, max: 86400 }),
    renewalsPerMinute: r.integer("RENEWALS_PER_MINUTE", 10, { min: 1, max: 10_000 }),
  };
}
