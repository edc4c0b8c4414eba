/** The logger redacts secret-named fields; each createMetrics() owns a separate registry with every metric. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/telemetry/logger.js";
import { createMetrics } from "../../src/telemetry/metrics.js";

describe("createLogger", () => {
  it("writes JSON lines and censors authorization, api keys and tokens at any depth", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString("utf8"));
        cb();
      },
    });
    const logger = createLogger({ level: "info", destination });
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

describe("createMetrics", () => {
  it("keeps instances independent and has sub-millisecond verify buckets", async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.rpcTotal.inc({ method: "/x/Y", code: "ok" });
    a.verifyDurationSeconds.observe({ result: "valid" }, 0.0002);
    expect(await a.registry.metrics()).toContain('agent_identity_rpc_total{method="/x/Y",code="ok"} 1');
    expect(await b.registry.metrics()).not.toContain('method="/x/Y"');
    expect(await a.registry.metrics()).toContain('agent_identity_verify_duration_seconds_bucket{le="0.00025",result="valid"} 1');
  });
});
