/**
 * VerifyStream: each request message decided by the same Verifier as Verify (steps, audit, metrics), answered
 * with the caller's correlation id, at most STREAM_IN_FLIGHT at once per stream (backpressure beyond).
 */
import { CODE_OF_KIND } from "./grpc-codes.js";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  VerifyStreamErrorSchema,
  VerifyStreamFieldViolationSchema,
  VerifyStreamResponseSchema,
  type VerifyStreamRequest,
  type VerifyStreamResponse,
} from "../../gen/agentidentity/v1/verifier_pb.js";
import { isDomainError, type DomainError } from "../domain/errors.js";
import type { Verifier } from "../domain/verify/index.js";
import { boundedConcurrentMap } from "./bounded-stream.js";
import { verifyInputOf, verifyResponseOf } from "./convert-verify.js";

/** Messages decided at once per stream (the proto documents this number). */
export const STREAM_IN_FLIGHT = 64;

const MAX_CORRELATION_ID = 128;

function errorAnswer(correlationId: string, e: DomainError, fieldPrefix: string): VerifyStreamResponse {
  return create(VerifyStreamResponseSchema, {
    correlationId,
    result: {
      case: "error",
      value: create(VerifyStreamErrorSchema, {
        code: CODE_OF_KIND[e.kind],
        errorCode: e.code,
        message: e.kind === "internal" ? "internal error" : e.message,
        fieldViolations: e.fieldViolations.map((v) => create(VerifyStreamFieldViolationSchema, { field: `${fieldPrefix}${v.field}`, description: v.description })),
        retryAfterMs: BigInt(e.kind === "resource_exhausted" ? (e.retryAfterMs ?? 0) : 0),
      }),
    },
  });
}

function envelopeFault(correlationId: string, field: string, description: string): VerifyStreamResponse {
  return create(VerifyStreamResponseSchema, {
    correlationId,
    result: {
      case: "error",
      value: create(VerifyStreamErrorSchema, {
        code: Code.InvalidArgument,
        errorCode: "verify.invalid_stream_message",
        message: `invalid ${field}: ${description}`,
        fieldViolations: [create(VerifyStreamFieldViolationSchema, { field, description })],
      }),
    },
  });
}

/** Decides one stream message; domain errors become error answers, anything else ends the stream (INTERNAL). */
async function answer(verifier: Verifier, m: VerifyStreamRequest, caller: string, requestId: string | undefined): Promise<VerifyStreamResponse> {
  const id = m.correlationId;
  if (id.length === 0 || id.length > MAX_CORRELATION_ID) return envelopeFault(id.slice(0, MAX_CORRELATION_ID), "correlation_id", `1 to ${MAX_CORRELATION_ID} characters`);
  if (m.request === undefined) return envelopeFault(id, "request", "required");
  try {
    // Each decision's audit record carries the stream's request id and the message's correlation id.
    const decision = await verifier.verify(verifyInputOf(m.request, caller, `${requestId ?? ""}#${id}`));
    return create(VerifyStreamResponseSchema, { correlationId: id, result: { case: "response", value: verifyResponseOf(decision) } });
  } catch (e) {
    if (isDomainError(e) && e.kind !== "internal") return errorAnswer(id, e, "request.");
    throw e;
  }
}

export function verifyStream(
  verifier: Verifier,
  requests: AsyncIterable<VerifyStreamRequest>,
  caller: string,
  requestId: string | undefined,
): AsyncGenerator<VerifyStreamResponse> {
  return boundedConcurrentMap(requests, STREAM_IN_FLIGHT, (m) => answer(verifier, m, caller, requestId));
}
