/**
 * The bench's floor child: the composed service's Verify handler called in-process on its own storage (no HTTP/2,
 * TLS, framing or interceptors), and the CPU of one Redis and one Postgres round trip from Node. What the served
 * figures cost above these is the serving stack's share.
 */
import { create } from "@bufbuild/protobuf";
import { createContextValues, createHandlerContext, type ConnectRouter } from "@connectrpc/connect";
import pg from "pg";
import { VerifyRequestSchema, VerifierService, type VerifyRequest } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { createRedis, waitForRedis } from "../../adapters/redis/connection.js";
import { listenerKey, peerKey, requestIdKey } from "../../api/context-keys.js";
import { composeServices } from "../../app/services.js";
import { AgentIdentityClient } from "../../client/agent.js";
import { prepareDevelopmentMaterial } from "../../config/dev-material.js";
import { loadConfig } from "../../config/load.js";
import { startServer } from "../../server/server.js";
import { recordingUnaryMethods, type UnaryMethod } from "../../server/unary-invoker.js";
import type { FloorAnswer, FloorInit, FloorReport, InProcessVerify } from "./floor-protocol.js";
import { runPhase } from "./measure.js";
import { serverEnv } from "./server-process.js";
import { BENCH_OPERATION, BENCH_SCOPE, registerBenchAgent } from "./service.js";

const VERIFY_PATH = `/${VerifierService.typeName}/Verify`;

/** CPU us (user + system) of this process per call of `run`, called `n` times one after another. */
async function cpuUsPerRoundTrip(n: number, run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(n, 200); i++) await run();
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

async function redisRoundTrip(url: string, n: number): Promise<number> {
  const redis = createRedis(url);
  try {
    await waitForRedis(redis);
    return await cpuUsPerRoundTrip(n, () => redis.ping());
  } finally {
    redis.disconnect();
  }
}

async function postgresRoundTrip(url: string, n: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await cpuUsPerRoundTrip(n, () => client.query("SELECT 1"));
  } finally {
    await client.end();
  }
}

/** The Verify implementation Connect registers, read off the service's routes. */
function verifyMethod(routes: (router: ConnectRouter) => void): UnaryMethod {
  const found = new Map<string, UnaryMethod>();
  const ignore: ConnectRouter = { handlers: [], service: () => ignore, rpc: () => ignore };
  routes(recordingUnaryMethods(ignore, found));
  const method = found.get(VERIFY_PATH);
  if (method === undefined) throw new Error(`the service registers no ${VERIFY_PATH}`);
  return method;
}

async function measure(init: FloorInit): Promise<FloorReport> {
  const material = await prepareDevelopmentMaterial(init.devDir, () => undefined);
  const env = serverEnv({ server: "build", devDir: init.devDir, databaseUrl: init.databaseUrl, redisUrl: init.redisUrl, issuerUrl: init.issuerUrl }, [0, 0, 0], init.databaseUrl, init.redisPrefix);
  const config = loadConfig(env, { devMaterial: material });
  const services = await composeServices(config, { processMetrics: false });
  try {
    const server = await startServer({ ...services, browser: false, sidecar: false });
    try {
      const agent = await registerBenchAgent(material, server.grpcPort, init.issuerUrl);
      const client = await AgentIdentityClient.fromJwk(agent.privateJwk, { serviceAudience: init.issuerUrl });
      const method = verifyMethod(services.routes);
      const peer = { identity: agent.audience, roles: new Set<never>(), certThumbprint: "" };
      const verify: InProcessVerify[] = [];
      for (const concurrency of init.concurrencies) {
        const warm = Math.max(1, Math.ceil(init.calls / 5));
        const requests: VerifyRequest[] = [];
        for (let i = 0; i < warm + init.calls; i++) {
          const proof = await client.makeProof({ audience: agent.audience, scope: BENCH_SCOPE, op: BENCH_OPERATION, amountMinor: 0, currency: "", credentialOrSession: agent.credential });
          requests.push(create(VerifyRequestSchema, { presented: { case: "credential", value: agent.credential }, proof, scope: BENCH_SCOPE, operation: BENCH_OPERATION }));
        }
        const call = async (i: number): Promise<void> => {
          const context = createHandlerContext({
            service: method.service,
            method: method.method,
            protocolName: "in-process",
            requestMethod: "POST",
            url: VERIFY_PATH,
            contextValues: createContextValues().set(listenerKey, "mtls").set(peerKey, peer).set(requestIdKey, `floor-${i}`),
          });
          const answer = (await method.impl(requests[i]!, context)) as { valid: boolean; reasonCode: string };
          if (!answer.valid) throw new Error(`verify refused: ${answer.reasonCode}`);
        };
        await runPhase("warm-up", { requests: warm, concurrency, maxMs: 600_000 }, call);
        const before = process.cpuUsage();
        const result = await runPhase(`in-process:verify@C${concurrency}`, { requests: init.calls, concurrency, maxMs: 600_000 }, (i) => call(warm + i));
        const used = process.cpuUsage(before);
        const ok = Math.max(1, result.calls - result.errors);
        verify.push({
          concurrency,
          calls: result.calls,
          errors: result.errors,
          opsPerSecond: result.opsPerSecond,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          cpuMsPerVerify: (used.user + used.system) / 1000 / ok,
        });
      }
      return {
        verify,
        redisRoundTripCpuUs: init.redisUrl === undefined ? undefined : await redisRoundTrip(init.redisUrl, init.roundTrips),
        postgresRoundTripCpuUs: init.databaseUrl === undefined ? undefined : await postgresRoundTrip(init.databaseUrl, init.roundTrips),
      };
    } finally {
      await server.shutdown(1_000);
    }
  } finally {
    await services.close();
  }
}

process.once("message", (message: FloorInit) => {
  measure(message).then(
    (report) => process.send?.({ type: "result", report } satisfies FloorAnswer),
    (e: unknown) => process.send?.({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies FloorAnswer),
  );
});
