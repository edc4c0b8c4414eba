/** The trust-v2 score: Bayesian, decayed at read time, self-reports bounded; see docs/trust-model.md. */
import type { OrgTier } from "../orgs/index.js";
import { decayFactor, scaleSums, type EvidenceSums, type TrustState } from "./state.js";

export const TRUST_MODEL_VERSION = "trust-v2";

/** Factor weights (points; they sum to 100), in the order factors are reported. */
export const TRUST_WEIGHTS = {
  success_rate: 35,
  non_failure: 20,
  non_dispute: 15,
  sla_rate: 12,
  uptime: 8,
  identity_age: 5,
  org_tier: 5,
} as const;

export type TrustFactorName = keyof typeof TRUST_WEIGHTS;

/** The factor names in report order (computed once, not per score). */
const FACTOR_NAMES = Object.keys(TRUST_WEIGHTS) as TrustFactorName[];

/** Neutral prior of every rate factor and of uptime: 0.5. */
export const PRIOR_MEAN = 0.5;
/** Prior strength of the event-rate factors, in events. */
export const RATE_PRIOR_WEIGHT = 2;
/** Prior strength of the uptime factor, in uptime reports. */
export const UPTIME_PRIOR_WEIGHT = 1;
/** Evidence weight the org's own reports may carry beyond the relying parties' weight. */
export const SELF_REPORT_ALLOWANCE = 2;

const YEAR_MS = 365 * 24 * 3600 * 1000;

export const ORG_TIER_VALUE: Readonly<Record<OrgTier, number>> = { unverified: 0, verified: 0.6, enterprise: 1 };

export type RiskTier = "low" | "medium" | "high";

export interface TrustFactor {
  readonly name: TrustFactorName;
  readonly weight: number;
  /** 0..1 */
  readonly value: number;
  /** weight * value */
  readonly contribution: number;
}

export interface TrustScore {
  /** 0..100, two decimals. */
  readonly score: number;
  readonly riskTier: RiskTier;
  readonly factors: readonly TrustFactor[];
  readonly modelVersion: string;
  readonly computedAtMs: number;
}

export interface AgentAgeInfo {
  readonly agentCreatedAtMs: number;
  readonly orgTier: OrgTier;
}

export function riskTierOf(score: number): RiskTier {
  return score >= 75 ? "low" : score >= 50 ? "medium" : "high";
}

/**
 * Multiplier of the org's own evidence: its effective weight is at most the relying parties' weight plus
 * SELF_REPORT_ALLOWANCE, so self-reports cannot outweigh independent ones by more than that allowance.
 */
export function selfReportMultiplier(org: EvidenceSums, relyingParty: EvidenceSums): number {
  if (org.n === 0) return 0;
  return Math.min(1, (relyingParty.n + SELF_REPORT_ALLOWANCE) / org.n);
}

function posterior(successes: number, trials: number, priorWeight: number): number {
  return (successes + priorWeight * PRIOR_MEAN) / (trials + priorWeight);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The score at nowMs: sums decayed from state.refMs to nowMs, then Bayesian posteriors per factor. */
export function scoreAt(state: TrustState, nowMs: number, age: AgentAgeInfo): TrustScore {
  const d = decayFactor(nowMs - state.refMs);
  const rp = scaleSums(state.relyingParty, d);
  const own = scaleSums(state.org, d);
  const m = selfReportMultiplier(own, rp);
  const sum = (k: keyof EvidenceSums): number => rp[k] + m * own[k];
  const n = sum("n");
  const values: Record<TrustFactorName, number> = {
    success_rate: posterior(sum("success"), n, RATE_PRIOR_WEIGHT),
    non_failure: posterior(sum("noHardError"), n, RATE_PRIOR_WEIGHT),
    non_dispute: posterior(sum("noDispute"), n, RATE_PRIOR_WEIGHT),
    sla_rate: posterior(sum("slaMet"), n, RATE_PRIOR_WEIGHT),
    uptime: posterior(sum("uptimeSum"), sum("uptimeN"), UPTIME_PRIOR_WEIGHT),
    identity_age: Math.min(1, Math.max(0, (nowMs - age.agentCreatedAtMs) / YEAR_MS)),
    org_tier: ORG_TIER_VALUE[age.orgTier],
  };
  const factors = FACTOR_NAMES.map((name) => {
    const weight = TRUST_WEIGHTS[name];
    return { name, weight, value: values[name], contribution: weight * values[name] };
  });
  const score = round2(Math.min(100, Math.max(0, factors.reduce((acc, f) => acc + f.contribution, 0))));
  return { score, riskTier: riskTierOf(score), factors, modelVersion: TRUST_MODEL_VERSION, computedAtMs: nowMs };
}
