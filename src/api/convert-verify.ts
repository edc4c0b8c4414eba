/** Verify's pb <-> domain conversion, shared by Verify and VerifyStream. */
import { create } from "@bufbuild/protobuf";
import { VerifyResponseSchema, type VerifyRequest, type VerifyResponse } from "../../gen/agentidentity/v1/verifier_pb.js";
import type { VerifyDecision, VerifyInput } from "../domain/verify/index.js";
import { trustScoreToPb } from "./convert-trust.js";

/** The domain's Verify input from a VerifyRequest. */
export function verifyInputOf(req: VerifyRequest, caller: string, requestId: string | undefined): VerifyInput {
  const presented =
    req.presented.case === "credential"
      ? { kind: "credential" as const, token: req.presented.value }
      : req.presented.case === "sessionToken"
        ? { kind: "session" as const, token: req.presented.value }
        : undefined;
  return {
    caller,
    requestId,
    presented,
    proof: req.proof,
    scope: req.scope,
    operation: req.operation,
    amountMinor: req.amountMinor,
    currency: req.currency,
  };
}

export function verifyResponseOf(d: VerifyDecision): VerifyResponse {
  return create(VerifyResponseSchema, {
    valid: d.valid,
    reason: d.reason,
    reasonCode: d.reasonCode,
    agentId: d.agentId ?? "",
    orgId: d.orgId ?? "",
    grantedScopes: [...d.grantedScopes],
    trustScore: d.trust === undefined ? undefined : trustScoreToPb(d.trust),
    decisionId: d.decisionId,
  });
}
