/** The primary's health view: serving and ready only when every expected worker reports so; checks merged. */
import { describe, expect, it } from "vitest";
import { ClusterHealth } from "../../src/cluster/cluster-health.js";
import type { WorkerHealth } from "../../src/cluster/messages.js";
import { restartDelayMs, RestartPolicy, STABLE_RUN_MS } from "../../src/cluster/restart-policy.js";
import { HEALTH_SERVICES } from "../../src/server/health-registry.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";

function report(overrides: { ok?: boolean; redis?: boolean; signer?: boolean } = {}): WorkerHealth {
  const redis = overrides.redis ?? true;
  const signer = overrides.signer ?? true;
  const ok = (overrides.ok ?? true) && redis;
  const statuses = Object.fromEntries(
    HEALTH_SERVICES.map((s) => [s, ok && (s !== AgentRegistryService.typeName || signer) ? ("serving" as const) : ("not_serving" as const)]),
  );
  return {
    statuses,
    readiness: {
      ok,
      checks: { redis: redis ? { ok: true } : { ok: false, error: "connection refused" }, signer: signer ? { ok: true } : { ok: false, error: "kms down" } },
      degraded: signer ? {} : { signer: { ok: false, error: "kms down" } },
      notices: {},
    },
  };
}

describe("ClusterHealth", () => {
  it("is not serving until every expected worker has reported serving", () => {
    const health = new ClusterHealth(2);
    expect(health.status("")).toBe("not_serving");
    health.update(1, report());
    expect(health.status("")).toBe("not_serving");
    expect(health.readiness()).toMatchObject({ ok: false, checks: { workers: { ok: false, error: "1 of 2 workers serving" } } });
    health.update(2, report());
    expect(health.status("")).toBe("serving");
    expect(health.readiness()).toMatchObject({ ok: true, checks: { workers: { ok: true }, redis: { ok: true } } });
    expect(health.status("no.such.Service")).toBeUndefined();
  });

  it("a worker that fails a check, or exits, makes the replica not ready; the failing check is named", () => {
    const health = new ClusterHealth(2);
    health.update(1, report());
    health.update(2, report({ redis: false }));
    expect(health.status(VerifierService.typeName)).toBe("not_serving");
    expect(health.readiness()).toMatchObject({ ok: false, checks: { redis: { ok: false, error: "connection refused" } } });
    health.update(2, report());
    expect(health.readiness().ok).toBe(true);
    health.remove(2);
    expect(health.readiness().ok).toBe(false);
  });

  it("a scoped failure degrades its service only, as in one process", () => {
    const health = new ClusterHealth(2);
    health.update(1, report({ signer: false }));
    health.update(2, report());
    expect(health.status("")).toBe("serving");
    expect(health.status(AgentRegistryService.typeName)).toBe("not_serving");
    expect(health.readiness()).toMatchObject({ ok: true, degraded: { signer: { ok: false, error: "kms down" } } });
  });

  it("tells subscribers each change of state, and shutting down is final", () => {
    const health = new ClusterHealth(1);
    let calls = 0;
    health.subscribe(() => calls++);
    health.update(1, report());
    health.update(1, report());
    expect(calls).toBe(1);
    health.setShuttingDown();
    expect(calls).toBe(2);
    health.update(1, report());
    expect(health.status("")).toBe("not_serving");
    expect(health.isShuttingDown).toBe(true);
  });
});

describe("restart back-off", () => {
  it("restarts at once after a stable run and doubles the delay while a worker keeps crashing, up to 30 s", () => {
    expect([0, 1, 2, 3, 4, 8, 20].map(restartDelayMs)).toEqual([0, 250, 500, 1000, 2000, 30_000, 30_000]);
    const policy = new RestartPolicy();
    expect(policy.exited(STABLE_RUN_MS + 1)).toBe(0);
    expect(policy.exited(100)).toBe(250);
    expect(policy.exited(100)).toBe(500);
    expect(policy.exited(STABLE_RUN_MS)).toBe(0);
  });
});
