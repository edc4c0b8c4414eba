/** Test wiring for the Verify path: real keys, a jose-based fake credential checker, in-memory ports. */
import { decodeProtectedHeader, errors, generateKeyPair, jwtVerify, SignJWT, type JWK } from "jose";
import { ManualClock } from "../../src/domain/clock.js";
import {
  AgentStateCache,
  createVerify,
  SessionKeys,
  type CredentialChecker,
  type CredentialCheckResult,
  type DecisionRecord,
  type VerifyDeps,
  type VerifyMetrics,
  type VerifySettings,
} from "../../src/domain/verify/index.js";
import { CachedTrustStateSource, TrustScorer } from "../../src/domain/trust/index.js";
import { MemoryReplayGate } from "../../src/adapters/memory/replay-gate.js";
import { MemoryInvalidationBus } from "../../src/adapters/memory/invalidation-bus.js";
import type { AgentIdentityClient } from "../../src/client/agent.js";
import { newAgentKey as newSharedAgentKey } from "../support/agents.js";
import type { TrustState } from "../../src/domain/trust/state.js";
import type { AgentState, CapabilityManifest } from "../../src/domain/agents/index.js";

export const ISSUER = "https://issuer.test";
export const RP = "spiffe://test/relying-party/shop";
export const OTHER_RP = "spiffe://test/relying-party/other";
export const RP_ALIAS = "https://shop.example";

type Key = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

/** A fake issuer: ES256 keys by kid, signing agent-cred+jwt; its checker mirrors the real one's reasons. */
export class FakeIssuer implements CredentialChecker {
  readonly keys = new Map<string, { privateKey: Key; publicKey: Key }>();

  constructor(private readonly clock: ManualClock) {}

  async addKey(kid: string): Promise<void> {
    this.keys.set(kid, await generateKeyPair("ES256"));
  }

  async issue(
    state: AgentState,
    kid: string,
    opts: { ttlSeconds?: number; nbfOffsetSeconds?: number; typ?: string; jkt?: string; cap?: string } = {},
  ): Promise<string> {
    const key = this.keys.get(kid);
    if (key === undefined) throw new Error("unknown kid");
    const now = Math.floor(this.clock.nowMs() / 1000);
    return new SignJWT({ org_id: state.orgId, cnf: { jkt: opts.jkt ?? state.keyThumbprint }, cap: opts.cap ?? state.manifestHash })
      .setProtectedHeader({ alg: "ES256", typ: opts.typ ?? "agent-cred+jwt", kid })
      .setIssuer(ISSUER)
      .setSubject(state.agentId)
      .setJti(`crd-${now}-${Math.random()}`)
      .setIssuedAt(now)
      .setNotBefore(now + (opts.nbfOffsetSeconds ?? 0))
      .setExpirationTime(now + (opts.ttlSeconds ?? 3600))
      .sign(key.privateKey);
  }

  async check(token: string): Promise<CredentialCheckResult> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: "bad_signature" };
    }
    if (header.typ !== "agent-cred+jwt" || header.alg !== "ES256") return { ok: false, reason: "wrong_token_type" };
    const key = typeof header.kid === "string" ? this.keys.get(header.kid) : undefined;
    if (key === undefined) return { ok: false, reason: "unknown_issuer_key" };
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: ["ES256"],
        typ: "agent-cred+jwt",
        issuer: ISSUER,
        currentDate: new Date(this.clock.nowMs()),
        clockTolerance: 0,
      });
      const cnf = payload.cnf as { jkt: string };
      return {
        ok: true,
        claims: {
          agentId: String(payload.sub),
          orgId: String(payload.org_id),
          jkt: cnf.jkt,
          capHash: String(payload.cap),
        },
      };
    } catch (e) {
      if (e instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
      if (e instanceof errors.JWTClaimValidationFailed && e.claim === "nbf") return { ok: false, reason: "not_yet_valid" };
      return { ok: false, reason: "bad_signature" };
    }
  }
}

export class RecordingMetrics implements VerifyMetrics {
  readonly results: { result: string; reason: string }[] = [];
  replays = 0;
  readonly limited: string[] = [];
  trustComputations = 0;
  verifyResult(result: string, reason: string): void {
    this.results.push({ result, reason });
  }
  replayDenied(): void {
    this.replays++;
  }
  rateLimited(endpoint: string): void {
    this.limited.push(endpoint);
  }
}

export const MANIFEST: CapabilityManifest = {
  scopes: ["payments:write", "orders:read"],
  operations: ["payment.create", "order.read"],
  amountLimits: [{ currency: "EUR", maxAmountMinor: 50_000n }],
};

export interface Agent {
  readonly client: AgentIdentityClient;
  readonly privateJwk: JWK;
}

/** An agent key for the domain-level Verify tests (EdDSA by default): the shared fixture, without a service audience. */
export function newAgentKey(clock: ManualClock, alg: "EdDSA" | "ES256" = "EdDSA"): Promise<Agent> {
  return newSharedAgentKey(undefined, { clock, alg });
}

/** Everything a Verify test needs, wired like app.ts would with in-memory adapters. */
export async function buildWorld(overrides: Partial<VerifySettings> = {}) {
  const clock = new ManualClock();
  const gate = new MemoryReplayGate(clock);
  await gate.initEpoch(clock.nowMs());
  clock.advance(125_000); // proofs of the last minute are past the store epoch's window
  const issuer = new FakeIssuer(clock);
  await issuer.addKey("iss-1");
  const agents = new Map<string, AgentState>();
  const trustStates = new Map<string, TrustState>();
  let loads = 0;
  const cache = new AgentStateCache({ load: async (id) => (loads++, agents.get(id)) }, gate);
  const bus = new MemoryInvalidationBus();
  await cache.attach(bus);
  const decisions: DecisionRecord[] = [];
  const metrics = new RecordingMetrics();
  const settings: VerifySettings = {
    maxAgeSeconds: 60,
    futureSkewSeconds: 60,
    callerGuard: { perSecond: 1000, burst: 1000 },
    callerLimitPerMinute: 1000,
    agentLimitPerMinute: 1000,
    issuerUrl: ISSUER,
    sessionTtlSeconds: 600,
    proposalTtlSeconds: 120,
    audiencesFor: (caller) => (caller === RP ? [RP_ALIAS] : []),
    ...overrides,
  };
  const trustSource = new CachedTrustStateSource({ load: async (id) => trustStates.get(id) }, clock, 0);
  const deps: VerifyDeps = {
    clock,
    settings,
    credentials: issuer,
    sessionKeys: SessionKeys.generate(),
    agents: cache,
    replay: gate,
    trust: new TrustScorer(trustSource, clock, () => metrics.trustComputations++),
    recorder: {
      record: async (d) => {
        decisions.push(d);
        return { decisionId: `evt_${String(decisions.length).padStart(26, "0")}` };
      },
    },
    metrics,
  };
  const agent = await newAgentKey(clock);
  const state: AgentState = {
    agentId: "agt_00000000000000000000000001",
    orgId: "org_00000000000000000000000001",
    status: "active",
    publicJwk: agent.client.publicJwk,
    keyThumbprint: agent.client.thumbprint,
    manifestHash: "cap-hash-v1",
    capabilities: MANIFEST,
    stateVersion: 1,
    createdAtMs: clock.nowMs() - 200 * 24 * 3600 * 1000,
    orgTier: "verified",
  };
  agents.set(state.agentId, state);
  return {
    clock,
    gate,
    issuer,
    agents,
    trustStates,
    cache,
    bus,
    decisions,
    metrics,
    deps,
    agent,
    state,
    loads: () => loads,
    ...createVerify(deps),
    /** Commits a new agent state as the registry would: store, bump version in the gate, no bus message. */
    async commit(next: AgentState, publish = false): Promise<void> {
      agents.set(next.agentId, next);
      await gate.setAgentVersion(next.agentId, next.stateVersion);
      if (publish) await bus.publish({ kind: "agent", agentId: next.agentId, version: next.stateVersion });
    },
  };
}
