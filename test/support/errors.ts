/** Reading failed calls in tests: the ConnectError a call fails with, and the fields its BadRequest detail names. */
import { ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../src/server/bad-request.js";

/** The ConnectError a call fails with; throws when it succeeds. */
export async function failureOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** The fields named by the google.rpc.BadRequest detail of an error. */
export function violatedFields(err: ConnectError): string[] {
  const fields: string[] = [];
  for (const detail of err.findDetails(BadRequestSchema)) {
    const violations = (detail as { fieldViolations?: { field?: string }[] }).fieldViolations ?? [];
    for (const v of violations) fields.push(v.field ?? "");
  }
  return fields;
}
