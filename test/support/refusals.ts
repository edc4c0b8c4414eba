/** Asserting a refused call in the API tier: its gRPC code, its x-error-code and (when given) the field it names. */
import type { Code } from "@connectrpc/connect";
import { expect } from "vitest";
import { ERROR_CODE_HEADER } from "../../src/server/interceptors/error-mapping.js";
import { failureOf, violatedFields } from "./errors.js";

/** Awaits `call`, expects it to fail with `code` and the domain `errorCode`; returns the error's public message. */
export async function expectRefused(call: Promise<unknown>, code: Code, errorCode: string, field?: string): Promise<string> {
  const err = await failureOf(call);
  expect({ code: err.code, errorCode: err.metadata.get(ERROR_CODE_HEADER) }).toEqual({ code, errorCode });
  if (field !== undefined) expect(violatedFields(err)).toContain(field);
  return err.rawMessage;
}
