// After-commit propagation: a failure never fails the committed change; it is retried until it succeeds, and a
// newer version of the same agent supersedes an older pending one.
import { describe, expect, it } from "vitest";
import { AgentChangePropagator } from "../../src/domain/registry/propagation.js";
import type { Invalidation } from "../../src/domain/verify/index.js";

function flakyStores(failures: number) {
  let left = failures;
  const versions: [string, number][] = [];
  const published: Invalidation[] = [];
  return {
    versions,
    published,
    sink: {
      async setAgentVersion(agentId: string, version: number) {
        if (left-- > 0) throw new Error("redis unreachable");
        versions.push([agentId, version]);
      },
    },
    bus: {
      async publish(m: Invalidation) {
        published.push(m);
      },
      async subscribe() {
        return { close: async () => undefined };
      },
    },
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("AgentChangePropagator", () => {
  it("resolves although the stores fail, then delivers by retrying", async () => {
    const s = flakyStores(2);
    const errors: number[] = [];
    const p = new AgentChangePropagator(s.sink, s.bus, { retryDelayMs: 5, onError: (_a, _v, attempt) => errors.push(attempt) });
    await p.agentChanged("agt_1", 2);
    expect(p.backlog).toBe(1);
    await settle(100);
    expect(errors).toEqual([1, 2]);
    expect(s.versions).toEqual([["agt_1", 2]]);
    expect(s.published).toEqual([{ kind: "agent", agentId: "agt_1", version: 2 }]);
    expect(p.backlog).toBe(0);
  });

  it("a newer version supersedes a pending older one", async () => {
    const s = flakyStores(1);
    const p = new AgentChangePropagator(s.sink, s.bus, { retryDelayMs: 20 });
    await p.agentChanged("agt_1", 2);
    await p.agentChanged("agt_1", 3);
    await settle(80);
    expect(s.versions).toEqual([["agt_1", 3]]);
    expect(p.backlog).toBe(0);
  });

  it("close() stops retrying", async () => {
    const s = flakyStores(100);
    const errors: number[] = [];
    const p = new AgentChangePropagator(s.sink, s.bus, { retryDelayMs: 5, onError: (_a, _v, attempt) => errors.push(attempt) });
    await p.agentChanged("agt_1", 2);
    p.close();
    await settle(50);
    expect(errors).toEqual([1]);
  });
});
