/** Input rules shared by every module: names, reasons and token-like identifiers. Violations name the field. */
import type { FieldViolation } from "./errors.js";

/** Scopes, operations, event types: 1..128 characters of [A-Za-z0-9._:/-]. */
export const TOKEN_SYNTAX = /^[A-Za-z0-9._:/-]{1,128}$/;

/** A trimmed text of min..max characters without control characters, or the violation. */
function textViolation(field: string, value: string, min: number, max: number): FieldViolation | undefined {
  const trimmed = value.trim();
  if (trimmed.length < min) return { field, description: min === 1 ? "must not be empty" : `must have at least ${min} characters` };
  if (value.length > max) return { field, description: `must have at most ${max} characters` };
  if (/[\u0000-\u001f\u007f]/.test(value)) return { field, description: "must not contain control characters" };
  return undefined;
}

export function checkName(field: string, value: string, violations: FieldViolation[]): void {
  const v = textViolation(field, value, 1, 200);
  if (v) violations.push(v);
}

export function checkReason(field: string, value: string, violations: FieldViolation[]): void {
  const v = textViolation(field, value, 1, 500);
  if (v) violations.push(v);
}
