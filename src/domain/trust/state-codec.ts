/** Stores the trust model's state as JSON and reads it back, refusing shapes that are not a TrustState. */
import type { JsonObject } from "../audit/canonical-json.js";
import { EMPTY_SUMS, type EvidenceSums, type TrustState } from "./state.js";

const SUM_KEYS = Object.keys(EMPTY_SUMS) as (keyof EvidenceSums)[];

export function encodeTrustState(state: TrustState): JsonObject {
  return { refMs: state.refMs, org: { ...state.org }, relyingParty: { ...state.relyingParty } };
}

function decodeSums(value: unknown): EvidenceSums | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const key of SUM_KEYS) {
    const v = record[key];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return undefined;
    out[key] = v;
  }
  return out as unknown as EvidenceSums;
}

/** The decoded state; throws when the stored JSON is corrupt (never silently treated as empty). */
export function decodeTrustState(json: JsonObject): TrustState {
  const org = decodeSums(json["org"]);
  const relyingParty = decodeSums(json["relyingParty"]);
  const refMs = json["refMs"];
  if (org === undefined || relyingParty === undefined || typeof refMs !== "number") {
    throw new Error("stored trust state is corrupt");
  }
  return { refMs, org, relyingParty };
}
