// VerifyStream over real mTLS: one answer per message with its correlation id, the same decisions, audit and
// metrics as Verify, error answers that leave the stream open, backpressure at the in-flight bound, authorization.
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifierService, type VerifyStreamRequestSchema, type VerifyStreamResponse } from "../../gen/agentidentity/v1/verifier_pb.js";
import { STREAM_IN_FLIGHT } from "../../src/api/verify-stream.js";
import { proofFor, registerAgent, verifyRequest, type RegisteredAgent } from "../support/agents.js";
import { metricValue, scrapeMetrics } from "../support/wire.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { databaseTargets, redisTarget, type RedisTarget } from "../support/databases.js";

type StreamInit = MessageInitShape<typeof VerifyStreamRequestSchema>;

async function* messages(list: readonly StreamInit[]): AsyncGenerator<StreamInit> {
  yield* list;
}

const redisForPostgres = redisTarget();
const targets = databaseTargets().map((database) => ({
  name: database.name === "postgres" && redisForPostgres !== undefined ? "postgres+redis" : `${database.name}+memory`,
  database,
  redis: database.name === "postgres" ? redisForPostgres : undefined,
}));

describe.each(targets)("VerifyStream on $name", ({ database, redis }) => {
  let t: TestApp;
  let rp: string;
  let a: RegisteredAgent;

  beforeAll(async () => {
    t = await startTestApp({ database, redis: redis as RedisTarget | undefined });
    rp = t.material.clients.relyingParty.identity;
    a = await registerAgent(t);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.cleanup();
  });

  const collect = async (list: readonly StreamInit[]): Promise<Map<string, VerifyStreamResponse>> => {
    const answers = new Map<string, VerifyStreamResponse>();
    for await (const r of t.verifier().verifyStream(messages(list))) {
      expect(answers.has(r.correlationId), `one answer per id (${r.correlationId})`).toBe(false);
      answers.set(r.correlationId, r);
    }
    return answers;
  };

  it("decides every message like Verify, audited and counted, answering each correlation id once", async () => {
    const n = 3 * STREAM_IN_FLIGHT + 5;
    const before = metricValue(await scrapeMetrics(t), "agent_identity_verify_total", { result: "success", reason: "verified" });
    const list: StreamInit[] = [];
    for (let i = 0; i < n; i++) list.push({ correlationId: `m-${i}`, request: verifyRequest({ credential: a.credential }, await proofFor(a.key, rp, a.credential)) });
    const answers = await collect(list);
    expect(answers.size).toBe(n);
    for (const [id, r] of answers) {
      expect(r.result.case, id).toBe("response");
      if (r.result.case !== "response") continue;
      expect(r.result.value).toMatchObject({ valid: true, reasonCode: "verified", agentId: a.agentId, orgId: a.orgId });
      expect(r.result.value.decisionId).toMatch(/^evt_/);
    }
    expect(metricValue(await scrapeMetrics(t), "agent_identity_verify_total", { result: "success", reason: "verified" })).toBe(before + n);
    const { admin } = await t.adminClients();
    const page = await admin.listAuditEvents({ action: "verify.decision", pageSize: 500 });
    const first = answers.get("m-0")!.result;
    const event = page.events.find((e) => first.case === "response" && e.id === first.value.decisionId);
    expect(event?.actor).toBe(rp);
    expect(event?.requestId).toMatch(/#m-0$/);
  });

  it("refuses a replay within the stream and answers envelope faults as errors while the stream goes on", async () => {
    const proof = await proofFor(a.key, rp, a.credential);
    const answers = await collect([
      { correlationId: "first", request: verifyRequest({ credential: a.credential }, proof) },
      { correlationId: "no-proof", request: verifyRequest({ credential: a.credential }, "") },
      { correlationId: "", request: verifyRequest({ credential: a.credential }, proof) },
      { correlationId: "no-request" },
    ]);
    const again = await collect([{ correlationId: "again", request: verifyRequest({ credential: a.credential }, proof) }]);
    const first = answers.get("first")!.result;
    expect(first.case === "response" && first.value.reasonCode).toBe("verified");
    const replay = again.get("again")!.result;
    expect(replay.case === "response" && replay.value.reasonCode).toBe("nonce_replay");
    const noProof = answers.get("no-proof")!.result;
    expect(noProof.case).toBe("error");
    if (noProof.case === "error") {
      expect(noProof.value.code).toBe(Code.InvalidArgument);
      expect(noProof.value.errorCode).toBe("verify.invalid_request");
      expect(noProof.value.fieldViolations.map((v) => v.field)).toContain("request.proof");
    }
    const noId = answers.get("")!.result;
    expect(noId.case === "error" && noId.value.fieldViolations[0]?.field).toBe("correlation_id");
    const noRequest = answers.get("no-request")!.result;
    expect(noRequest.case === "error" && noRequest.value.fieldViolations[0]?.field).toBe("request");
  });

  it("holds the sender back: with nothing read from the answers, the server takes a bounded number of messages", { timeout: 120_000 }, async () => {
    let pulled = 0;
    // Enough messages that the windows (the in-flight bound, unsent answers in the client's HTTP/2 receive window,
    // requests in the server's) hold well under half of them, however fast the server decides.
    const proofs = await Promise.all(Array.from({ length: STREAM_IN_FLIGHT * 24 }, () => proofFor(a.key, rp, a.credential)));
    async function* endless(): AsyncGenerator<StreamInit> {
      for (const [i, proof] of proofs.entries()) {
        pulled++;
        yield { correlationId: `b-${i}`, request: verifyRequest({ credential: a.credential }, proof) };
      }
    }
    const answers = t.verifier().verifyStream(endless())[Symbol.asyncIterator]();
    const firstAnswer = await answers.next();
    expect(firstAnswer.done).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    // The answers are unread here: the server stops taking messages (its in-flight bound, its unsent answers) and
    // HTTP/2 flow control stops the sender long before all of them are sent. (The exact bound is a unit test.)
    const pulledWhileStalled = pulled;
    let received = 1;
    for (let r = await answers.next(); !r.done; r = await answers.next()) received++;
    expect(received).toBe(proofs.length);
    expect(pulledWhileStalled).toBeLessThan(proofs.length / 2);
  });

  it("is for relying parties only", async () => {
    const asAgent = t.client(VerifierService, "agent");
    const err = await (async () => {
      try {
        for await (const _ of asAgent.verifyStream(messages([{ correlationId: "x" }]))) void _;
      } catch (e) {
        return ConnectError.from(e);
      }
      return undefined;
    })();
    expect(err?.code).toBe(Code.PermissionDenied);
  });
});
