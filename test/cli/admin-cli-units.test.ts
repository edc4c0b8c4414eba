/** Admin CLI pieces without a server: token refresh timing, error lines and exit codes, settings, the README. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { parseCommandArgs } from "../../src/cli/admin/args.js";
import { describeFailure, EXIT, grpcCodeName, localError } from "../../src/cli/admin/failures.js";
import { GROUPS } from "../../src/cli/admin/run.js";
import { ADMIN_CLI_VARIABLES, resolveSettings } from "../../src/cli/admin/settings.js";
import { AdminTokenSource, REFRESH_MARGIN_MS } from "../../src/cli/admin/token-source.js";
import { projectRoot } from "../../src/config/project-root.js";

const LIFETIME_MS = 900_000;

describe("AdminTokenSource", () => {
  function source() {
    let now = 1_000_000;
    let n = 0;
    const tokens = new AdminTokenSource(async () => {
      n += 1;
      return { token: `t${n}`, expiresAtMs: now + LIFETIME_MS };
    }, () => now);
    return { tokens, advance: (ms: number) => (now += ms) };
  }

  it("exchanges once, reuses the token while it is fresh, and refreshes before it expires", async () => {
    const { tokens, advance } = source();
    expect(await tokens.token()).toBe("t1");
    advance(LIFETIME_MS - LIFETIME_MS / 5 - 1_000);
    expect(await tokens.token()).toBe("t1");
    advance(2_000); // now inside the last fifth of the lifetime (> REFRESH_MARGIN_MS for 15 minutes)
    expect(await tokens.token()).toBe("t2");
    expect(tokens.exchanges).toBe(2);
    expect(LIFETIME_MS / 5).toBeGreaterThan(REFRESH_MARGIN_MS);
  });

  it("shares one exchange between concurrent callers", async () => {
    const { tokens } = source();
    expect(await Promise.all([tokens.token(), tokens.token(), tokens.token()])).toEqual(["t1", "t1", "t1"]);
    expect(tokens.exchanges).toBe(1);
  });

  it("a failed exchange is not cached: the next call tries again", async () => {
    let fail = true;
    const tokens = new AdminTokenSource(async () => {
      if (fail) throw new Error("down");
      return { token: "ok", expiresAtMs: Date.now() + LIFETIME_MS };
    });
    await expect(tokens.token()).rejects.toThrow("down");
    fail = false;
    expect(await tokens.token()).toBe("ok");
  });
});

describe("failure lines", () => {
  const hints = { addr: "https://localhost:8443", apiKeySource: "ADMIN_API_KEY" };

  it("name the gRPC code and x-error-code on one line, with the documented exit code", () => {
    const e = new ConnectError("agent\nnot   found", Code.NotFound, new Headers({ "x-error-code": "agent.not_found" }));
    expect(describeFailure(e, hints)).toEqual({ line: "NOT_FOUND x-error-code=agent.not_found: agent not found", exitCode: EXIT.notFound });
    const key = new ConnectError("invalid admin api key", Code.Unauthenticated, new Headers({ "x-error-code": "admin.key_invalid" }));
    expect(describeFailure(key, hints)).toEqual({
      line: "UNAUTHENTICATED x-error-code=admin.key_invalid: invalid admin api key (the admin API key came from ADMIN_API_KEY)",
      exitCode: EXIT.auth,
    });
    const limited = new ConnectError("slow down", Code.ResourceExhausted, new Headers({ "x-error-code": "rate_limited", "retry-after": "3" }));
    expect(describeFailure(limited, hints).line).toBe("RESOURCE_EXHAUSTED x-error-code=rate_limited: slow down (retry after 3 s)");
    expect(describeFailure(limited, hints).exitCode).toBe(EXIT.rateLimited);
  });

  it("map each code family to its exit code; anything else is 1 without a stack", () => {
    const exit = (code: Code) => describeFailure(new ConnectError("x", code), hints).exitCode;
    expect([Code.Unavailable, Code.DeadlineExceeded].map(exit)).toEqual([EXIT.unavailable, EXIT.unavailable]);
    expect([Code.PermissionDenied, Code.AlreadyExists, Code.FailedPrecondition, Code.InvalidArgument].map(exit)).toEqual([
      EXIT.auth,
      EXIT.conflict,
      EXIT.conflict,
      EXIT.invalid,
    ]);
    expect(exit(Code.Internal)).toBe(EXIT.failed);
    const odd = describeFailure(new TypeError("boom\n    at somewhere (file.ts:1:1)"), hints);
    expect(odd).toEqual({ line: "unexpected error: boom at somewhere (file.ts:1:1)", exitCode: EXIT.failed });
    expect(describeFailure(localError("no file"), hints)).toEqual({ line: "no file", exitCode: EXIT.local });
    expect(grpcCodeName(Code.FailedPrecondition)).toBe("FAILED_PRECONDITION");
  });

  it("an unreachable service hints at the address", () => {
    const line = describeFailure(new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable), hints).line;
    expect(line).toBe(
      "UNAVAILABLE x-error-code=none: connect ECONNREFUSED 127.0.0.1:1 (is the service running at https://localhost:8443? set --addr or AGENT_IDENTITY_ADDR; check --tls-ca)",
    );
  });
});

describe("settings", () => {
  it("default to certs/dev against npm start; flags beat the environment; the key's source is named, never its value", () => {
    const none = resolveSettings(parseCommandArgs([]), {}, "/repo");
    expect(none.connection).toMatchObject({
      addr: "https://localhost:8443",
      caFile: "/repo/certs/dev/ca.crt",
      certFile: "/repo/certs/dev/admin.crt",
      keyFile: "/repo/certs/dev/admin.key",
      protocol: "grpc",
      apiKeySource: "/repo/certs/dev/admin-api-key",
    });
    const env = { AGENT_IDENTITY_ADDR: "https://id.example:9443/", AGENT_IDENTITY_DEV_DIR: "/etc/aid", ADMIN_API_KEY: "s3cret-admin-key-value" };
    const fromEnv = resolveSettings(parseCommandArgs(["--tls-ca", "ca.pem"]), env, "/repo");
    expect(fromEnv.connection).toMatchObject({ addr: "https://id.example:9443", caFile: "/repo/ca.pem", certFile: "/etc/aid/admin.crt", apiKeySource: "ADMIN_API_KEY" });
    expect(JSON.stringify(fromEnv.connection)).not.toContain("s3cret");
    expect(fromEnv.apiKey()).toBe("s3cret-admin-key-value");
    expect(resolveSettings(parseCommandArgs([]), { ADMIN_API_KEYS: "first-key-0123456789, next-key-0123456789" }, "/").apiKey()).toBe("first-key-0123456789");
  });

  it("refuse a plaintext address and a bad protocol as usage errors", () => {
    expect(() => resolveSettings(parseCommandArgs(["--addr", "http://localhost:8443"]), {}, "/")).toThrow(/https/);
    expect(() => resolveSettings(parseCommandArgs(["--protocol", "rest"]), {}, "/")).toThrow(/grpc or connect/);
    expect(() => parseCommandArgs(["--nope"])).toThrow("Unknown option '--nope'");
  });
});

describe("README", () => {
  const readme = readFileSync(join(projectRoot(), "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Admin CLI"), readme.indexOf("## The API"));

  it("documents every command, every variable and every exit code of the admin CLI", () => {
    for (const [group, spec] of Object.entries(GROUPS)) {
      for (const command of Object.keys(spec.commands)) expect(section).toContain(`\`${group} ${command}`);
    }
    for (const variable of ADMIN_CLI_VARIABLES) expect(section).toContain(`\`${variable}\``);
    for (const code of new Set(Object.values(EXIT))) expect(section).toMatch(new RegExp(`^\\| ${code} \\| `, "m"));
  });
});
