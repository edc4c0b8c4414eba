/** The logger redacts secret-named fields; each createMetrics() owns a separate registry with every metric. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/telemetry/logger.js";
import { createMetrics } from "../../src/telemetry/metrics.js";
import { verifyMetricsOf } from "../../src/telemetry/verify-metrics.js";

/** A logger at info whose lines are collected. */
function collectingLogger(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString("utf8"));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: "info", destination }) };
}

describe("createLogger", () => {
  it("writes JSON lines and censors authorization, api keys and tokens at any depth", () => {
    const { lines, logger } = collectingLogger();
    logger.info(
      { authorization: "Bearer s3cret-jwt", headers: { "x-admin-api-key": "k3y-value" }, nested: { accessToken: "t0ken", ok: 1 } },
      "hello",
    );
    logger.debug({ a: 1 }, "below level");
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.msg).toBe("hello");
    expect(parsed.level).toBe("info");
    for (const secret of ["s3cret-jwt", "k3y-value", "t0ken"]) expect(line).not.toContain(secret);
    expect((parsed.nested as Record<string, unknown>).ok).toBe(1);
  });
});

describe("createLogger errors", () => {
  it("logs an error's type, message, stack, code and causes, never the objects a driver hangs on it", () => {
    const { lines, logger } = collectingLogger();
    // The shape of pg's idle-client error: the client (connection parameters, the server's cancel key) rides along.
    const error = Object.assign(new Error("terminating connection due to administrator command", { cause: new TypeError("socket gone") }), {
      code: "57P01",
      severity: "FATAL",
      apiKey: "k3y-in-error",
      client: { connectionParameters: { user: "postgres", host: "db" }, secretKey: 2073383874, processID: 7119 },
    });
    logger.warn({ err: error }, "postgres connection failed; it is replaced");
    const line = lines[0]!;
    const err = (JSON.parse(line) as { err: Record<string, unknown> }).err;
    expect(err).toMatchObject({ type: "Error", message: "terminating connection due to administrator command", code: "57P01", severity: "FATAL" });
    expect(err["stack"]).toContain("telemetry.test.ts");
    expect(err["cause"]).toMatchObject({ type: "TypeError", message: "socket gone" });
    expect(err["apiKey"]).toBe("[redacted]");
    expect(err["client"]).toBeUndefined();
    for (const leaked of ["2073383874", "connectionParameters", "k3y-in-error"]) expect(line).not.toContain(leaked);
  });
});

describe("createMetrics", () => {
  it("keeps instances independent and has sub-millisecond verify buckets", async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.rpcTotal.inc({ method: "/x/Y", code: "ok" });
    a.verifyDurationSeconds.observe({ result: "success" }, 0.0002);
    expect(await a.registry.metrics()).toContain('agent_identity_rpc_total{method="/x/Y",code="ok"} 1');
    expect(await b.registry.metrics()).not.toContain('method="/x/Y"');
    expect(await a.registry.metrics()).toContain('agent_identity_verify_duration_seconds_bucket{le="0.00025",result="success"} 1');
  });
});

describe("verifyMetricsOf", () => {
  it("labels Verify calls with the seed runbook's result values: success, or failure with the reason", async () => {
    const m = createMetrics({ processMetrics: false });
    const port = verifyMetricsOf(m);
    port.verifyResult("valid", "verified", 0.001);
    port.verifyResult("invalid", "nonce_replay", 0.001);
    port.verifyResult("error", "unavailable", 0.001);
    const text = await m.registry.metrics();
    expect(text).toContain('agent_identity_verify_total{result="success",reason="verified"} 1');
    expect(text).toContain('agent_identity_verify_total{result="failure",reason="nonce_replay"} 1');
    expect(text).toContain('agent_identity_verify_total{result="failure",reason="unavailable"} 1');
    expect(text).toContain('agent_identity_verify_duration_seconds_count{result="failure"} 2');
    expect(text).not.toMatch(/result="(valid|invalid|error)"/);
  });
});
