/** The one place a domain error kind becomes a gRPC code (the error-mapping interceptor and VerifyStream's error answers). */
import { Code } from "@connectrpc/connect";
import type { ErrorKind } from "../domain/errors.js";

export const CODE_OF_KIND: Readonly<Record<ErrorKind, Code>> = {
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  aborted: Code.Aborted,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  unimplemented: Code.Unimplemented,
  internal: Code.Internal,
};
