/** Admin CLI failures: the documented exit codes and the one line that names a failure's cause. */
import { Code, ConnectError } from "@connectrpc/connect";

/** Exit codes (README "Admin CLI"). Scripts may switch on them. */
export const EXIT = {
  ok: 0,
  /** The server failed (INTERNAL, UNKNOWN, UNIMPLEMENTED, DATA_LOSS, CANCELED) or an unexpected local error. */
  failed: 1,
  /** Bad command line: unknown command or flag, missing or malformed value. */
  usage: 2,
  /** A local problem: settings, a certificate or key file that cannot be read, an output file that exists. */
  local: 3,
  /** The service cannot be reached or is unavailable (UNAVAILABLE, DEADLINE_EXCEEDED). */
  unavailable: 4,
  /** Refused credentials: UNAUTHENTICATED (e.g. a wrong admin API key) or PERMISSION_DENIED. */
  auth: 5,
  /** NOT_FOUND. */
  notFound: 6,
  /** ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED: the state does not allow the change. */
  conflict: 7,
  /** INVALID_ARGUMENT or OUT_OF_RANGE: the server refused a value (the line names the field). */
  invalid: 8,
  /** RESOURCE_EXHAUSTED: rate limited (the line says when to retry). */
  rateLimited: 9,
  /** `audit verify`: the export is broken or malformed. */
  auditBroken: 10,
} as const;

/** A failure the CLI reports as one line with a chosen exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}

export function localError(message: string): CliError {
  return new CliError(message, EXIT.local);
}

const EXIT_OF_CODE: Readonly<Partial<Record<Code, number>>> = {
  [Code.Unavailable]: EXIT.unavailable,
  [Code.DeadlineExceeded]: EXIT.unavailable,
  [Code.Unauthenticated]: EXIT.auth,
  [Code.PermissionDenied]: EXIT.auth,
  [Code.NotFound]: EXIT.notFound,
  [Code.AlreadyExists]: EXIT.conflict,
  [Code.FailedPrecondition]: EXIT.conflict,
  [Code.Aborted]: EXIT.conflict,
  [Code.InvalidArgument]: EXIT.invalid,
  [Code.OutOfRange]: EXIT.invalid,
  [Code.ResourceExhausted]: EXIT.rateLimited,
};

/** gRPC's upper-case name of a code (NOT_FOUND), as grpcurl and buf curl print it. */
export function grpcCodeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Collapses whitespace so every report stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** What the error line may mention to point at the setting to change (never a secret). */
export interface FailureHints {
  readonly addr: string;
  /** Where the admin API key came from (a variable name or a file path). */
  readonly apiKeySource?: string;
}

function hint(e: ConnectError, errorCode: string | null, hints: FailureHints): string {
  if (errorCode === null && (e.code === Code.Unavailable || e.code === Code.DeadlineExceeded)) {
    return ` (is the service running at ${hints.addr}? set --addr or AGENT_IDENTITY_ADDR; check --tls-ca)`;
  }
  if (errorCode?.startsWith("admin.key_") === true && hints.apiKeySource !== undefined) {
    return ` (the admin API key came from ${hints.apiKeySource})`;
  }
  return "";
}

/** The Node error code behind a transport failure, when it is a TLS verification or handshake problem. */
function tlsCause(e: ConnectError): string | undefined {
  const cause: unknown = e.cause;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "";
  return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_/.test(code) ? code : undefined;
}

/** The one line for a server or transport error: gRPC code, x-error-code, message; plus the exit code. */
export function describeConnectError(e: ConnectError, hints: FailureHints): { line: string; exitCode: number } {
  const tls = tlsCause(e);
  if (tls !== undefined) {
    const line = `TLS ${tls}: ${oneLine(e.rawMessage)} (check --tls-ca, --server-name and the address ${hints.addr})`;
    return { line, exitCode: EXIT.unavailable };
  }
  const errorCode = e.metadata.get("x-error-code");
  const retryAfter = e.metadata.get("retry-after");
  const parts = [grpcCodeName(e.code), `x-error-code=${errorCode ?? "none"}`];
  let line = `${parts.join(" ")}: ${oneLine(e.rawMessage)}`;
  if (e.code === Code.ResourceExhausted && retryAfter !== null) line += ` (retry after ${retryAfter} s)`;
  line += hint(e, errorCode, hints);
  return { line, exitCode: EXIT_OF_CODE[e.code] ?? EXIT.failed };
}

/** Any thrown value as one line and an exit code; never a stack trace. */
export function describeFailure(e: unknown, hints: FailureHints): { line: string; exitCode: number } {
  if (e instanceof CliError) return { line: oneLine(e.message), exitCode: e.exitCode };
  // A local failure inside an interceptor (reading the API key for the exchange) arrives wrapped by the client.
  if (e instanceof ConnectError && e.cause instanceof CliError) return describeFailure(e.cause, hints);
  if (e instanceof ConnectError) return describeConnectError(e, hints);
  const message = e instanceof Error ? e.message : String(e);
  return { line: `unexpected error: ${oneLine(message)}`, exitCode: EXIT.failed };
}
