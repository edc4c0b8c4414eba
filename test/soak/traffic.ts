// Steady traffic for the soak: Verify calls with fresh proofs to every replica (some proofs replayed on the other
// replica), agents registered and revoked through the registry, /readyz sampled; everything recorded for the checks.
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { exportJWK, generateKeyPair } from "jose";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { CapabilityManifestSchema } from "../../gen/agentidentity/v1/common_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";
import { AgentIdentityClient } from "../../src/client/agent.js";
import type { DevMaterial } from "../../src/config/dev-material.js";
import type { Replica } from "./replica.js";

export interface VerifyRecord {
  readonly replica: string;
  readonly agentId: string;
  readonly jti: string;
  readonly startMs: number;
  readonly outcome: string;
  readonly decisionId: string;
}

export interface SoakAgent {
  readonly agentId: string;
  readonly key: AgentIdentityClient;
  readonly credential: string;
  revokedAtMs: number | undefined;
}

function jtiOf(proof: string): string {
  return (JSON.parse(Buffer.from(proof.split(".")[1]!, "base64url").toString()) as { jti: string }).jti;
}

export class Traffic {
  readonly verifies: VerifyRecord[] = [];
  readonly readyz: { t: number; replica: string; status: number }[] = [];
  readonly registry: { t: number; action: string; outcome: string }[] = [];
  readonly agents: SoakAgent[] = [];
  private running = false;
  /** While paused the loops idle (memory is measured with no traffic in flight). */
  private paused = false;
  private readonly loops: Promise<void>[] = [];
  private readonly verifiers: Client<typeof VerifierService>[];
  private readonly admins: { admin: Client<typeof AdminService>; registry: Client<typeof AgentRegistryService> }[];
  private orgId = "";

  constructor(
    private readonly replicas: readonly Replica[],
    private readonly material: DevMaterial,
    adminApiKey: string,
    private readonly issuerUrl: string,
  ) {
    const ca = readFileSync(material.caCertFile);
    const transport = (r: Replica, who: "admin" | "relyingParty", interceptors: Interceptor[] = []) =>
      createGrpcTransport({
        baseUrl: `https://localhost:${r.ports.grpc}`,
        interceptors,
        nodeOptions: { ca, cert: readFileSync(material.clients[who].certFile), key: readFileSync(material.clients[who].keyFile) },
      });
    this.verifiers = replicas.map((r) => createClient(VerifierService, transport(r, "relyingParty")));
    this.admins = replicas.map((r) => {
      let token = "";
      const exchange = createClient(AdminService, transport(r, "admin"));
      const bearer: Interceptor = (next) => async (req) => {
        if (token === "") token = (await exchange.exchangeToken({}, { headers: { "x-admin-api-key": adminApiKey } })).accessToken;
        req.header.set("authorization", `Bearer ${token}`);
        try {
          return await next(req);
        } catch (e) {
          if (ConnectError.from(e).code === Code.Unauthenticated) token = "";
          throw e;
        }
      };
      return { admin: createClient(AdminService, transport(r, "admin", [bearer])), registry: createClient(AgentRegistryService, transport(r, "admin", [bearer])) };
    });
  }

  async setUp(agents: number): Promise<void> {
    this.orgId = (await this.admins[0]!.admin.createOrg({ name: `soak ${Date.now()}` })).org!.id;
    for (let i = 0; i < agents; i++) await this.register(0);
  }

  private async register(via: number): Promise<void> {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const key = await AgentIdentityClient.fromJwk(await exportJWK(privateKey));
    const res = await this.admins[via]!.registry.registerAgent(
      {
        orgId: this.orgId,
        displayName: "soak agent",
        publicJwk: JSON.stringify(key.publicJwk),
        capabilities: create(CapabilityManifestSchema, { scopes: ["soak:call"], operations: ["soak.op"], amountLimits: [] }),
        possessionProof: await key.makePossessionProof({ op: "agent.register", audience: this.issuerUrl, orgId: this.orgId }),
      },
      { timeoutMs: 8000 },
    );
    this.agents.push({ agentId: res.agent!.id, key, credential: res.credential!.token, revokedAtMs: undefined });
  }

  start(): void {
    this.running = true;
    for (let w = 0; w < 4; w++) this.loops.push(this.verifyLoop(w));
    this.loops.push(this.registryLoop(), this.readyzLoop());
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async verifyOn(replica: number, agent: SoakAgent, proof: string, startMs: number): Promise<void> {
    let outcome: string;
    let decisionId = "";
    try {
      const res = await this.verifiers[replica]!.verify(
        { presented: { case: "credential", value: agent.credential }, proof, scope: "soak:call", operation: "soak.op", amountMinor: 0n, currency: "" },
        { timeoutMs: 8000 },
      );
      outcome = res.reasonCode;
      decisionId = res.decisionId;
    } catch (e) {
      outcome = `error:${Code[ConnectError.from(e).code]}`;
    }
    this.verifies.push({ replica: this.replicas[replica]!.name, agentId: agent.agentId, jti: jtiOf(proof), startMs, outcome, decisionId });
  }

  private async verifyLoop(worker: number): Promise<void> {
    const rp = this.material.clients.relyingParty.identity;
    for (let n = 0; this.running; n++) {
      if (this.paused) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const agent = this.agents[(worker + n) % this.agents.length]!;
      const replica = (worker + n) % this.replicas.length;
      const proof = await agent.key.makeProof({ audience: rp, scope: "soak:call", op: "soak.op", amountMinor: 0, currency: "", credentialOrSession: agent.credential });
      const startMs = Date.now();
      await this.verifyOn(replica, agent, proof, startMs);
      // Every fifth proof is replayed on the other replica: at most one of the two may verify.
      if (n % 5 === 0) await this.verifyOn((replica + 1) % this.replicas.length, agent, proof, Date.now());
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async registryLoop(): Promise<void> {
    for (let n = 0; this.running; n++) {
      await new Promise((r) => setTimeout(r, 1500));
      if (this.paused) continue;
      const via = n % this.admins.length;
      const active = this.agents.filter((a) => a.revokedAtMs === undefined);
      const action = active.length > 3 && n % 2 === 0 ? "revoke" : "register";
      const t = Date.now();
      try {
        if (action === "revoke") {
          const victim = active[n % active.length]!;
          await this.admins[via]!.registry.revokeAgent({ agentId: victim.agentId, reason: "soak" }, { timeoutMs: 8000 });
          victim.revokedAtMs = Date.now();
        } else {
          await this.register(via);
        }
        this.registry.push({ t, action, outcome: "ok" });
      } catch (e) {
        this.registry.push({ t, action, outcome: Code[ConnectError.from(e).code] });
      }
    }
  }

  private async readyzLoop(): Promise<void> {
    while (this.running) {
      for (const r of this.replicas) this.readyz.push({ t: Date.now(), replica: r.name, status: await r.readyz() });
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The whole audit chain as an export document (JSON Lines text), read through the first replica. */
  exportClient(): Client<typeof AdminService> {
    return this.admins[0]!.admin;
  }
}
