/** Trust score domain -> protobuf. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RiskTier, TrustFactorSchema, TrustScoreSchema, type TrustScore as PbTrustScore } from "../../gen/agentidentity/v1/common_pb.js";
import type { TrustScore } from "../domain/trust/score.js";

const RISK: Record<TrustScore["riskTier"], RiskTier> = { low: RiskTier.LOW, medium: RiskTier.MEDIUM, high: RiskTier.HIGH };

export function trustScoreToPb(score: TrustScore): PbTrustScore {
  return create(TrustScoreSchema, {
    score: score.score,
    riskTier: RISK[score.riskTier],
    factors: score.factors.map((f) => create(TrustFactorSchema, { name: f.name, weight: f.weight, value: f.value, contribution: f.contribution })),
    modelVersion: score.modelVersion,
    computeTime: timestampFromMs(score.computedAtMs),
  });
}
