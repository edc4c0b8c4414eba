/** The proof acceptance window from PROOF_MAX_AGE_SECONDS and PROOF_FUTURE_SKEW_SECONDS (PROOF_SKEW_SECONDS: deprecated alias). */
import type { EnvReader } from "./env-reader.js";

export const DEFAULT_PROOF_MAX_AGE_SECONDS = 60;
export const DEFAULT_PROOF_FUTURE_SKEW_SECONDS = 5;

export interface ProofWindowSettings {
  readonly proofMaxAgeSeconds: number;
  readonly proofFutureSkewSeconds: number;
  /** Start-up notices about deprecated variables in use (logged once, never fatal). */
  readonly deprecations: readonly string[];
}

/**
 * PROOF_SKEW_SECONDS once bounded both the age and the future skew of a proof. It is still accepted as an alias
 * of PROOF_MAX_AGE_SECONDS (the tolerance people tuned), with a notice; the future skew then keeps its own
 * small default, so the restart window stays seconds. Setting both to different values is a problem.
 */
export function readProofWindow(r: EnvReader): ProofWindowSettings {
  const range = { min: 1, max: 600 };
  const deprecations: string[] = [];
  let maxAge = r.integer("PROOF_MAX_AGE_SECONDS", DEFAULT_PROOF_MAX_AGE_SECONDS, range);
  if (r.isSet("PROOF_SKEW_SECONDS")) {
    const legacy = r.integer("PROOF_SKEW_SECONDS", DEFAULT_PROOF_MAX_AGE_SECONDS, range);
    if (!r.isSet("PROOF_MAX_AGE_SECONDS")) {
      maxAge = legacy;
      deprecations.push(
        "PROOF_SKEW_SECONDS is deprecated: it now sets PROOF_MAX_AGE_SECONDS only; rename it " +
          `(future-dated proofs are bounded by PROOF_FUTURE_SKEW_SECONDS, default ${DEFAULT_PROOF_FUTURE_SKEW_SECONDS})`,
      );
    } else if (legacy !== maxAge) {
      r.problem("PROOF_SKEW_SECONDS", "is a deprecated alias of PROOF_MAX_AGE_SECONDS and disagrees with it; remove it");
    }
  }
  const futureSkew = r.integer("PROOF_FUTURE_SKEW_SECONDS", DEFAULT_PROOF_FUTURE_SKEW_SECONDS, { min: 0, max: 300 });
  return { proofMaxAgeSeconds: maxAge, proofFutureSkewSeconds: futureSkew, deprecations };
}
