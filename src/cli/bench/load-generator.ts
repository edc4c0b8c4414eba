/**
 * The bench's load generator, a child process of `npm run bench`: raw HTTP/2 gRPC (or keep-alive HTTP/1.1 for
 * the reference) with every request encoded and every proof signed before a phase's clock starts.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import type { ClientHttp2Session } from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { VerifyRequestSchema } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { AgentIdentityClient } from "../../client/agent.js";
import { firstFieldIsOne, grpcFrame, openSessions, unaryCall, type TlsFiles } from "./h2-client.js";
import { runOpenLoop, runPhase, type PhaseResult } from "./measure.js";
import type { LoadInit, PhaseOutcome, PhaseSpec } from "./protocol.js";
import { runStreamPhase } from "./stream-client.js";

const VERIFY_PATH = "/agentidentity.v1.VerifierService/Verify";
const CHECK_PATH = "/grpc.health.v1.Health/Check";
const EMPTY_FRAME = grpcFrame(new Uint8Array(0));
const EMPTY = Buffer.alloc(0);

/** An unenveloped Connect answer whose field 1 is true/SERVING (see firstFieldIsOne). */
function startsWithFieldOneTrue(message: Buffer): boolean {
  return message.length >= 2 && message[0] === 0x08 && message[1] === 0x01;
}

type Call = (i: number) => Promise<void>;

class LoadGenerator {
  private readonly tls: TlsFiles;
  private readonly sessions = new Map<string, ClientHttp2Session[]>();
  private readonly agents = new Map<string, Agent>();
  private readonly agentKeys = new Map<string, AgentIdentityClient>();

  constructor(private readonly init: LoadInit) {
    this.tls = { ca: readFileSync(init.caFile), cert: readFileSync(init.certFile), key: readFileSync(init.keyFile) };
  }

  private async sessionsFor(origin: string): Promise<ClientHttp2Session[]> {
    let s = this.sessions.get(origin);
    // The service closes connections idle for IDLE_TIMEOUT_MS (e.g. while other targets' phases run): open new ones.
    if (s !== undefined && s.some((session) => session.closed || session.destroyed)) {
      for (const session of s) session.close();
      s = undefined;
    }
    if (s === undefined) {
      s = await openSessions(origin, this.tls, this.init.connections);
      this.sessions.set(origin, s);
    }
    return s;
  }

  /** `count` encoded Verify requests for `origin` with fresh proofs (signed here, before the phase's clock starts). */
  async verifyFrames(origin: string, count: number): Promise<Buffer[]> {
    const v = this.init.verifyBy[origin];
    if (v === undefined) throw new Error(`no bench agent for ${origin}`);
    let agent = this.agentKeys.get(origin);
    if (agent === undefined) {
      agent = await AgentIdentityClient.fromJwk(v.privateJwk, {});
      this.agentKeys.set(origin, agent);
    }
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const proof = await agent.makeProof({ audience: v.audience, scope: v.scope, op: v.operation, amountMinor: 0, currency: "", credentialOrSession: v.credential });
      const req = create(VerifyRequestSchema, { presented: { case: "credential", value: v.credential }, proof, scope: v.scope, operation: v.operation });
      frames.push(grpcFrame(toBinary(VerifyRequestSchema, req)));
    }
    return frames;
  }

  /**
   * One HTTP/1.1 keep-alive POST of `bodies[i]` to `path`: the reference's null request, or a Connect unary call
   * (`application/proto`, whose answer must pass `accept`).
   */
  private http1Call(spec: PhaseSpec, path: string, bodies: (i: number) => Buffer, accept?: (response: Buffer) => boolean): Call {
    // A new pool per phase: the service closes HTTP/1.1 connections idle for HEADERS_TIMEOUT_MS between phases.
    this.agents.get(spec.origin)?.destroy();
    const agent = new Agent({ keepAlive: true, maxSockets: 1024, ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key, servername: "localhost" });
    this.agents.set(spec.origin, agent);
    const url = new URL(path, spec.origin);
    const headers = accept === undefined ? {} : { "content-type": "application/proto", "connect-protocol-version": "1" };
    const options = { method: "POST", agent, hostname: url.hostname, port: url.port, path: url.pathname };
    return (i) =>
      new Promise<void>((resolve, reject) => {
        const body = bodies(i);
        const req = request({ ...options, headers: { ...headers, "content-length": String(body.length) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 200)}`));
            const answer = Buffer.concat(chunks);
            if (accept !== undefined && !accept(answer)) return reject(new Error(`unexpected response ${answer.subarray(0, 48).toString("hex")}`));
            resolve();
          });
        });
        req.on("error", reject);
        req.end(body);
      });
  }

  async callFor(spec: PhaseSpec, calls: number): Promise<Call> {
    if (spec.rpc === "http1-null") return this.http1Call(spec, "/null", () => EMPTY);
    if (spec.rpc === "check-connect-h1") return this.http1Call(spec, CHECK_PATH, () => EMPTY, startsWithFieldOneTrue);
    if (spec.rpc === "verify-connect-h1") {
      const messages = (await this.verifyFrames(spec.origin, calls)).map((frame) => frame.subarray(5));
      return this.http1Call(spec, VERIFY_PATH, (i) => messages[i]!, startsWithFieldOneTrue);
    }
    const sessions = await this.sessionsFor(spec.origin);
    const pick = (i: number): ClientHttp2Session => sessions[i % sessions.length]!;
    if (spec.rpc === "check") return (i) => unaryCall(pick(i), CHECK_PATH, EMPTY_FRAME, firstFieldIsOne);
    const frames = await this.verifyFrames(spec.origin, calls);
    return (i) => unaryCall(pick(i), VERIFY_PATH, frames[i]!, firstFieldIsOne);
  }

  async run(spec: PhaseSpec): Promise<PhaseOutcome> {
    const calls = spec.mode === "open" ? Math.max(1, Math.floor((spec.ratePerSecond * spec.durationMs) / 1000)) : spec.maxCalls;
    let result: PhaseResult;
    let cpu: NodeJS.CpuUsage;
    if (spec.rpc === "verify-stream") {
      const sessions = await this.sessionsFor(spec.origin);
      const frames = await this.verifyFrames(spec.origin, calls);
      cpu = process.cpuUsage();
      result = await runStreamPhase(spec.name, sessions, frames, { perStream: spec.concurrency, maxMs: spec.durationMs });
    } else {
      const call = await this.callFor(spec, calls);
      cpu = process.cpuUsage();
      result =
        spec.mode === "open"
          ? await runOpenLoop(spec.name, { ratePerSecond: spec.ratePerSecond, durationMs: spec.durationMs, maxInFlight: 4096 }, call)
          : await runPhase(spec.name, { requests: calls, concurrency: spec.concurrency, maxMs: spec.durationMs }, call);
    }
    const used = process.cpuUsage(cpu);
    return { type: "result", id: spec.id, result, loadCpuMs: (used.user + used.system) / 1000 };
  }

  close(): void {
    for (const list of this.sessions.values()) for (const s of list) s.close();
    for (const a of this.agents.values()) a.destroy();
  }
}

let generator: LoadGenerator | undefined;
process.on("message", (message: LoadInit | PhaseSpec | { type: "close" }) => {
  if (message.type === "init") {
    generator = new LoadGenerator(message);
    process.send?.({ type: "ready" });
  } else if (message.type === "run") {
    generator!.run(message).then(
      (outcome) => process.send?.(outcome),
      (e: unknown) => process.send?.({ type: "error", id: message.id, message: e instanceof Error ? e.message : String(e) }),
    );
  } else {
    generator?.close();
    process.disconnect();
  }
});
