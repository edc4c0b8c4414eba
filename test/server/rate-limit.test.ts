// Per-peer rate limits from the method table: over the limit RESOURCE_EXHAUSTED with retry-after, counted by endpoint.
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AdminService, GetOrgResponseSchema } from "../../gen/agentidentity/v1/admin_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { create } from "@bufbuild/protobuf";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { ManualClock } from "../../src/domain/clock.js";
import { AUTHORIZATION_TABLE } from "../../src/server/authorization-table.js";
import { errorMappingInterceptor } from "../../src/server/interceptors/error-mapping.js";
import { browserMethodTable } from "../../src/server/browser-table.js";
import { endpointLabel, rateLimitInterceptor } from "../../src/server/interceptors/rate-limit.js";
import { createMetrics } from "../../src/telemetry/metrics.js";

describe("per-peer rate limits", () => {
  it("refuses past the limit with a retry-after hint, never limits health, and recovers with time", async () => {
    const clock = new ManualClock();
    const metrics = createMetrics({ processMetrics: false });
    const transport = createRouterTransport(
      (router) => {
        router.service(AdminService, { getOrg: () => create(GetOrgResponseSchema, {}) });
        router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
      },
      {
        router: {
          interceptors: [errorMappingInterceptor(), rateLimitInterceptor({ table: AUTHORIZATION_TABLE, browserTable: browserMethodTable(false), perMinute: 2, clock, metrics })],
        },
      },
    );
    const admin = createClient(AdminService, transport);
    const health = createClient(Health, transport);
    await admin.getOrg({ orgId: "org_x" });
    await admin.getOrg({ orgId: "org_x" });
    const refused = await admin.getOrg({ orgId: "org_x" }).catch((e: unknown) => ConnectError.from(e));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.ResourceExhausted);
    expect(Number((refused as ConnectError).metadata.get("retry-after"))).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) await health.check({});
    const hits = await metrics.registry.getSingleMetricAsString("agent_identity_rate_limit_hits_total");
    expect(hits).toContain('agent_identity_rate_limit_hits_total{endpoint="get_org"} 1');
    clock.advance(30_000);
    await admin.getOrg({ orgId: "org_x" });
  });

  it("labels endpoints in snake case from the method name", () => {
    expect(endpointLabel("/agentidentity.v1.AdminService/ExchangeToken")).toBe("exchange_token");
    expect(endpointLabel("/agentidentity.v1.VerifierService/GetJwks")).toBe("get_jwks");
  });

  it("the table declares a limit kind for every Verify-path method it must not double-limit", () => {
    expect(AUTHORIZATION_TABLE.get("/agentidentity.v1.VerifierService/Verify")?.limit).toBe("gate");
    expect(AUTHORIZATION_TABLE.get("/agentidentity.v1.VerifierService/VerifyHandshake")?.limit).toBe("gate");
    expect(AUTHORIZATION_TABLE.get("/grpc.health.v1.Health/Watch")?.limit).toBe("none");
  });

  it("the table lists every method we serve, and nothing else", () => {
    const served = [AdminService, AgentRegistryService, VerifierService, Health, ReflectionV1, ReflectionV1Alpha].flatMap((svc) =>
      svc.methods.map((m) => `/${svc.typeName}/${m.name}`),
    );
    expect([...AUTHORIZATION_TABLE.keys()].sort()).toEqual([...served].sort());
  });
});
