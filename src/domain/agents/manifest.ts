/** Capability manifests and agent metadata: input rules, the canonical order, and the hash credentials carry. */
import { createHash } from "node:crypto";
import type { FieldViolation } from "../errors.js";
import { TOKEN_SYNTAX } from "../input-rules.js";
import type { AmountLimit, CapabilityManifest } from "./model.js";

const CURRENCY = /^[A-Z]{3}$/;
const MAX_LIST = 64;
const MAX_METADATA = 32;

export function checkMetadata(field: string, metadata: Readonly<Record<string, string>>, violations: FieldViolation[]): void {
  const keys = Object.keys(metadata);
  if (keys.length > MAX_METADATA) violations.push({ field, description: `must have at most ${MAX_METADATA} entries` });
  for (const key of keys) {
    if (!/^[A-Za-z0-9._:/-]{1,64}$/.test(key)) violations.push({ field: `${field}[${JSON.stringify(key)}]`, description: "key must be 1..64 characters of [A-Za-z0-9._:/-]" });
    const value = metadata[key] ?? "";
    if (value.length > 256) violations.push({ field: `${field}[${JSON.stringify(key)}]`, description: "value must have at most 256 characters" });
  }
}

function checkTokenList(field: string, values: readonly string[], violations: FieldViolation[]): void {
  if (values.length > MAX_LIST) violations.push({ field, description: `must have at most ${MAX_LIST} entries` });
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (!TOKEN_SYNTAX.test(value)) violations.push({ field: `${field}[${i}]`, description: "must be 1..128 characters of [A-Za-z0-9._:/-]" });
    else if (seen.has(value)) violations.push({ field: `${field}[${i}]`, description: `duplicate ${JSON.stringify(value)}` });
    seen.add(value);
  });
}

function checkLimits(field: string, limits: readonly AmountLimit[], violations: FieldViolation[]): void {
  if (limits.length > MAX_LIST) violations.push({ field, description: `must have at most ${MAX_LIST} entries` });
  const seen = new Set<string>();
  limits.forEach((limit, i) => {
    if (!CURRENCY.test(limit.currency)) violations.push({ field: `${field}[${i}].currency`, description: "must be an ISO 4217 code of three upper-case letters" });
    else if (seen.has(limit.currency)) violations.push({ field: `${field}[${i}].currency`, description: `duplicate ${limit.currency}` });
    seen.add(limit.currency);
    if (limit.maxAmountMinor < 0n) violations.push({ field: `${field}[${i}].max_amount_minor`, description: "must not be negative" });
    if (limit.maxAmountMinor > BigInt(Number.MAX_SAFE_INTEGER)) violations.push({ field: `${field}[${i}].max_amount_minor`, description: "must be at most 2^53-1" });
  });
}

export function checkManifest(field: string, manifest: CapabilityManifest | undefined, violations: FieldViolation[]): void {
  if (manifest === undefined) {
    violations.push({ field, description: "is required" });
    return;
  }
  checkTokenList(`${field}.scopes`, manifest.scopes, violations);
  checkTokenList(`${field}.operations`, manifest.operations, violations);
  checkLimits(`${field}.amount_limits`, manifest.amountLimits, violations);
}

/** The manifest in a canonical order (sorted lists), so equal manifests hash equally. */
export function normalizeManifest(manifest: CapabilityManifest): CapabilityManifest {
  return {
    scopes: [...manifest.scopes].sort(),
    operations: [...manifest.operations].sort(),
    amountLimits: [...manifest.amountLimits].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0)),
  };
}

/** Canonical JSON of a normalized manifest (fixed key order; amounts as decimal strings). */
function canonicalManifest(manifest: CapabilityManifest): string {
  const m = normalizeManifest(manifest);
  return JSON.stringify({
    amount_limits: m.amountLimits.map((l) => ({ currency: l.currency, max_amount_minor: l.maxAmountMinor.toString() })),
    operations: m.operations,
    scopes: m.scopes,
  });
}

export function manifestHash(manifest: CapabilityManifest): string {
  return createHash("sha256").update(canonicalManifest(manifest)).digest("base64url");
}
