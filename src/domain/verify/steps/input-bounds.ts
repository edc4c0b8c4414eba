/** Step 1: bound the input (sizes and formats); envelope faults are INVALID_ARGUMENT naming each field. */
import { invalidFields, type FieldViolation } from "../../errors.js";
import { CURRENCY_PATTERN, MAX_TOKEN_BYTES, SCOPE_PATTERN } from "../../tokens/index.js";

/** A compact JWS: three base64url segments (the signature may be empty only to be refused later). */
const COMPACT_JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function isScope(value: string): boolean {
  return SCOPE_PATTERN.test(value);
}

export function isCurrency(value: string): boolean {
  return CURRENCY_PATTERN.test(value);
}

/** Describes what is wrong with a compact token string, or undefined when it is acceptable. */
export function tokenFault(token: string): string | undefined {
  if (token.length === 0) return "required";
  if (token.length > MAX_TOKEN_BYTES) return `at most ${MAX_TOKEN_BYTES} bytes`;
  if (!COMPACT_JWS_PATTERN.test(token)) return "not a compact JWS";
  return undefined;
}

/** Adds a violation for `field` when `token` is not an acceptable compact token. */
export function checkTokenField(violations: FieldViolation[], field: string, token: string): void {
  const fault = tokenFault(token);
  if (fault !== undefined) violations.push({ field, description: fault });
}

/** The scope, operation, amount and currency a relying party asks about. */
export interface RequestedAction {
  readonly scope: string;
  readonly operation: string;
  readonly amountMinor: bigint;
  /** "" only when amountMinor is 0. */
  readonly currency: string;
}

export function checkRequestedAction(violations: FieldViolation[], action: RequestedAction): void {
  if (!isScope(action.scope)) violations.push({ field: "scope", description: "must match [A-Za-z0-9._:/-]{1,128}" });
  if (!isScope(action.operation)) violations.push({ field: "operation", description: "must match [A-Za-z0-9._:/-]{1,128}" });
  if (action.amountMinor < 0n) violations.push({ field: "amount_minor", description: "must be >= 0" });
  else if (action.amountMinor > BigInt(Number.MAX_SAFE_INTEGER)) violations.push({ field: "amount_minor", description: "too large" });
  if (action.currency === "") {
    if (action.amountMinor > 0n) violations.push({ field: "currency", description: "required when amount_minor > 0" });
  } else if (!isCurrency(action.currency)) {
    violations.push({ field: "currency", description: "must be an ISO 4217 code (three upper-case letters)" });
  }
}

/** Throws the collected violations as one INVALID_ARGUMENT with `code`. */
export function throwViolations(code: string, violations: readonly FieldViolation[]): void {
  const error = invalidFields(code, violations);
  if (error !== undefined) throw error;
}
