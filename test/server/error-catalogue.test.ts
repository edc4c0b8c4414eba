// The error catalogue: each catalogued refusal reaches the client as its kind's code, public message and x-error-code,
// with the log-only detail kept out of the message; uncatalogued codes log by kind.
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { DomainError, ERROR_CATALOGUE, logLevelOf, refusal, type CataloguedCode } from "../../src/domain/errors.js";
import { CODE_OF_KIND } from "../../src/api/grpc-codes.js";
import { ERROR_CODE_HEADER, toConnectError } from "../../src/server/interceptors/error-mapping.js";

describe("error catalogue", () => {
  it.each(Object.keys(ERROR_CATALOGUE) as CataloguedCode[])("%s maps to its kind, public message and code header", (code) => {
    const entry = ERROR_CATALOGUE[code];
    const err = toConnectError(refusal(code, "secret-free but private detail"));
    expect(err.code).toBe(CODE_OF_KIND[entry.kind]);
    expect(err.rawMessage).toBe(entry.message);
    expect(err.rawMessage).not.toContain("private detail");
    expect(err.metadata.get(ERROR_CODE_HEADER)).toBe(code);
    expect(logLevelOf(refusal(code))).toBe(entry.logLevel);
  });

  it("keeps the wire codes of the authorization refusals", () => {
    expect(toConnectError(refusal("auth.certificate_refused")).code).toBe(Code.Unauthenticated);
    expect(toConnectError(refusal("auth.method_not_permitted")).code).toBe(Code.PermissionDenied);
    expect(toConnectError(refusal("auth.role_required")).code).toBe(Code.PermissionDenied);
    expect(toConnectError(refusal("auth.client_certificate_required")).code).toBe(Code.Unauthenticated);
  });

  it("logs an uncatalogued code by kind: server faults at error, caller mistakes at debug", () => {
    expect(logLevelOf(new DomainError("unavailable", "x.down", "x unavailable"))).toBe("error");
    expect(logLevelOf(new DomainError("internal", "x.bug", "internal error"))).toBe("error");
    expect(logLevelOf(new DomainError("not_found", "x.not_found", "x not found"))).toBe("debug");
  });
});
