/** The capability-manifest hash that credentials carry: base64url SHA-256 of its canonical JSON. */
import { createHash } from "node:crypto";
import type { CapabilityManifest } from "../model.js";
import { normalizeManifest } from "./validation.js";

/** Canonical JSON of a normalized manifest (fixed key order; amounts as decimal strings). */
export function canonicalManifest(manifest: CapabilityManifest): string {
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
