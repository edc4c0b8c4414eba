/** The one domain error type: a kind that mirrors a gRPC code, a stable greppable code, a public message. */

/** Error kinds; the error-mapping interceptor turns each into exactly one gRPC code. */
export type ErrorKind =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "aborted"
  | "resource_exhausted"
  | "unavailable"
  | "unimplemented"
  | "internal";

/** One wrong field of a request: the field path as in the proto ("capabilities.scopes[2]") and why. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

export interface DomainErrorOptions {
  readonly fieldViolations?: readonly FieldViolation[];
  /** For resource_exhausted: when the caller may retry. */
  readonly retryAfterMs?: number;
  /** Internal detail for logs; never sent to the client. */
  readonly cause?: unknown;
}

/**
 * A failure the caller should see. `message` is public (lower-case, no internals); `code` is a stable id
 * such as "agent.not_found" that tests, logs and runbooks switch on; `cause` is for logs only.
 */
export class DomainError extends Error {
  override readonly name = "DomainError";
  readonly fieldViolations: readonly FieldViolation[];
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fieldViolations = options.fieldViolations ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** An INVALID_ARGUMENT naming one field. */
export function invalidField(code: string, field: string, description: string): DomainError {
  return new DomainError("invalid_argument", code, `invalid ${field}: ${description}`, {
    fieldViolations: [{ field, description }],
  });
}

/** An INVALID_ARGUMENT naming several fields at once (empty list: no error). */
export function invalidFields(code: string, violations: readonly FieldViolation[]): DomainError | undefined {
  if (violations.length === 0) return undefined;
  const message = violations.map((v) => `invalid ${v.field}: ${v.description}`).join("; ");
  return new DomainError("invalid_argument", code, message, { fieldViolations: violations });
}

export function notFound(code: string, what: string): DomainError {
  return new DomainError("not_found", code, `${what} not found`);
}

export function unavailable(code: string, what: string, cause?: unknown): DomainError {
  return new DomainError("unavailable", code, `${what} unavailable`, { cause });
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
