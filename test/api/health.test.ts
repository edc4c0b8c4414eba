// grpc.health.v1.Health through the router transport on each listener: Check, List and Watch, and their refusal.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { openApiHarness, type ApiHarness } from "../support/api-harness.js";
import { failureOf } from "../support/errors.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await openApiHarness();
});
afterAll(async () => {
  await h?.close();
});

// On mTLS any peer with an identity (here the agent, which has no grant elsewhere); elsewhere no peer at all.
const callers = [
  { name: "mtls", caller: "agent" as const },
  { name: "browser", caller: { listener: "browser" as const } },
  { name: "sidecar", caller: { listener: "sidecar" as const } },
];

describe("Health", () => {
  it.each(callers)("Check and List answer anyone on the $name listener", async ({ caller }) => {
    const health = h.clientAs(Health, caller);
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await health.check({ service: AgentRegistryService.typeName })).status).toBe(Status.SERVING);
    const listed = await health.list({});
    expect(Object.keys(listed.statuses)).toContain(AgentRegistryService.typeName);
    expect(Object.values(listed.statuses).every((s) => s.status === Status.SERVING)).toBe(true);
  });

  it("Watch sends the current status first", async () => {
    const controller = new AbortController();
    const stream = h.clientAs(Health, "relyingParty").watch({ service: "" }, { signal: controller.signal });
    for await (const res of stream) {
      expect(res.status).toBe(Status.SERVING);
      break;
    }
    controller.abort();
  });

  it("answers NOT_FOUND for a service it does not serve", async () => {
    const err = await failureOf(h.clientAs(Health, "admin").check({ service: "no.such.Service" }));
    expect(err.code).toBe(Code.NotFound);
  });

  it("serves only health on the sidecar listener", async () => {
    const err = await failureOf(h.clientAs(AgentRegistryService, { listener: "sidecar" }).getAgent({ agentId: "agt_x" }));
    expect(err.code).toBe(Code.Unimplemented);
  });
});
