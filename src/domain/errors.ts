/** The one domain error type (a kind that mirrors a gRPC code, a stable code, a public message) and its catalogue. */

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

/** The level an error is logged at by the logging interceptor. */
export type ErrorLogLevel = "debug" | "info" | "warn" | "error";

/** One catalogued error: what the client sees (kind, public message) and how loudly it is logged. */
export interface CatalogueEntry {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly logLevel: ErrorLogLevel;
}

/**
 * The error catalogue: code -> kind, public message, log level. Refusals by the transport's gatekeepers (the
 * authorization table, peer identity, the listener) are domain errors like any other, so they carry their
 * code in `x-error-code`; what went wrong in detail goes to the log (the error's `cause`), never to the client.
 */
export const ERROR_CATALOGUE = {
  /**
   * A method missing from the listener's table: on the browser port a browser asking for what it may not call;
   * on mTLS a deployment bug, which the interceptor also logs at error level.
   */
  "auth.method_not_permitted": { kind: "permission_denied", message: "method not permitted", logLevel: "info" },
  /** The client certificate verified but names no usable identity (the reason is logged, never sent). */
  "auth.certificate_refused": { kind: "unauthenticated", message: "client certificate refused", logLevel: "info" },
  "auth.role_required": { kind: "permission_denied", message: "peer lacks a role granted this method", logLevel: "info" },
  /** A handler that needs the calling peer reached without one (e.g. on the browser listener). */
  "auth.client_certificate_required": { kind: "unauthenticated", message: "client certificate required", logLevel: "info" },
  /** A call that arrived while the server drains for shutdown (the client retries on another replica). */
  "server.shutting_down": { kind: "unavailable", message: "server is shutting down", logLevel: "info" },
} as const satisfies Record<string, CatalogueEntry>;

export type CataloguedCode = keyof typeof ERROR_CATALOGUE;

/** The catalogued error `code`; `detail` is for the log only. */
export function refusal(code: CataloguedCode, detail?: string): DomainError {
  const entry: CatalogueEntry = ERROR_CATALOGUE[code];
  return new DomainError(entry.kind, code, entry.message, { cause: detail });
}

/** Kinds that mean the service failed rather than the caller: logged at error level unless catalogued. */
const SERVER_FAULT_KINDS: ReadonlySet<ErrorKind> = new Set(["internal", "unavailable", "unimplemented"]);

/** How loudly `e` is logged: its catalogue entry's level, else error for server faults and debug for the rest. */
export function logLevelOf(e: DomainError): ErrorLogLevel {
  const entry: CatalogueEntry | undefined = (ERROR_CATALOGUE as Record<string, CatalogueEntry>)[e.code];
  if (entry !== undefined) return entry.logLevel;
  return SERVER_FAULT_KINDS.has(e.kind) ? "error" : "debug";
}
