// A check scoped to some services (the signer) degrades only them: the server and /readyz stay up.
import { describe, expect, it } from "vitest";
import { HealthRegistry } from "../../src/server/health-registry.js";

const REGISTRY = "agentidentity.v1.AgentRegistryService";
const VERIFIER = "agentidentity.v1.VerifierService";

describe("scoped health checks", () => {
  it("a failing scoped check turns only its services NOT_SERVING and shows as degraded", () => {
    const health = new HealthRegistry();
    health.declare("postgres");
    health.declare("signer", [REGISTRY]);
    health.report("postgres", { ok: true });
    health.report("signer", { ok: false, error: "signer unavailable" });
    expect(health.status("")).toBe("serving");
    expect(health.status(VERIFIER)).toBe("serving");
    expect(health.status(REGISTRY)).toBe("not_serving");
    const readiness = health.readiness();
    expect(readiness.ok).toBe(true);
    expect(readiness.degraded).toEqual({ signer: { ok: false, error: "signer unavailable" } });
  });

  it("a failing unscoped check takes every service down, and watchers hear a scoped change", () => {
    const health = new HealthRegistry();
    health.declare("signer", [REGISTRY]);
    health.declare("redis");
    health.report("redis", { ok: true });
    health.report("signer", { ok: true });
    let changes = 0;
    health.subscribe(() => changes++);
    health.report("signer", { ok: false, error: "x" });
    expect(changes).toBe(1);
    health.report("redis", { ok: false, error: "down" });
    expect(health.status("")).toBe("not_serving");
    expect(health.status(VERIFIER)).toBe("not_serving");
    expect(health.readiness().ok).toBe(false);
  });
});
