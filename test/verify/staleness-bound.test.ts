// The staleness bound: a change that reached neither the shared version nor the bus is still decided on within
// AGENT_STATE_MAX_STALENESS_SECONDS, because a cached state older than the bound is read again.
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import type { AgentState } from "../../src/domain/model.js";
import { AgentStateCache } from "../../src/domain/verify/index.js";

const STATE: AgentState = {
  agentId: "agt_1", orgId: "org_1", status: "active", publicJwk: { kty: "OKP", crv: "Ed25519", x: "x" }, keyThumbprint: "t",
  manifestHash: "m", capabilities: { scopes: [], operations: [], amountLimits: [] }, stateVersion: 1, createdAtMs: 0, orgTier: "verified",
};

describe("AgentStateCache staleness bound", () => {
  it("serves the cached state within the bound and reads the database again after it", async () => {
    const clock = new ManualClock();
    let stored = STATE;
    let loads = 0;
    const cache = new AgentStateCache({ load: async () => (loads++, stored) }, { setAgentVersion: async () => undefined }, { clock, maxStalenessMs: 5000 });
    expect((await cache.get("agt_1"))!.status).toBe("active");
    stored = { ...STATE, status: "revoked", stateVersion: 2 }; // committed elsewhere; no invalidation arrives
    clock.advance(4999);
    expect((await cache.get("agt_1"))!.status).toBe("active");
    clock.advance(1);
    expect((await cache.get("agt_1"))!.status).toBe("revoked");
    expect(loads).toBe(2);
  });
});
