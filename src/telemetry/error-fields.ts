/** How an error appears in a log line: its type, message, stack, code-like scalar fields and causes; never attached objects. */

/** A field whose name matches this never has its value logged, at any depth (the logger's rule too). */
export const SECRET_FIELD = /authorization|key|token|secret|password|jwt|cookie/i;
const CENSOR = "[redacted]";
/** How deep nested causes go. */
const MAX_CAUSES = 3;

interface LoggedError {
  [field: string]: string | number | boolean | LoggedError | LoggedError[];
}

function isErrorLike(value: unknown): value is Error {
  return value instanceof Error || (typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string");
}

/**
 * The log fields of an error. Own scalar fields (a driver's `code`, `severity`, `routine`...) are kept, secret-named
 * ones censored; object-valued fields are left out, because drivers hang whole clients on their errors (pg's idle
 * errors carry the client with its connection parameters and the server's cancel key).
 */
export function errorFields(error: unknown, depth = 0): LoggedError | unknown {
  if (!isErrorLike(error)) return error;
  const fields: LoggedError = { type: error.constructor?.name ?? error.name, message: error.message };
  if (typeof error.stack === "string") fields["stack"] = error.stack;
  for (const [key, value] of Object.entries(error)) {
    if (key in fields || key === "cause" || key === "errors") continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") fields[key] = SECRET_FIELD.test(key) ? CENSOR : value;
  }
  if (depth < MAX_CAUSES) {
    if (isErrorLike(error.cause)) fields["cause"] = errorFields(error.cause, depth + 1) as LoggedError;
    const errors: unknown = (error as { errors?: unknown }).errors;
    if (Array.isArray(errors)) fields["errors"] = errors.filter(isErrorLike).map((e) => errorFields(e, depth + 1) as LoggedError);
  }
  return fields;
}
