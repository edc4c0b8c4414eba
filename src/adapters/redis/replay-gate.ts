/** Redis replay gate: one script per admit on one server; on a cluster the caller's limiter, then the agent's slot. */
import { Cluster } from "ioredis";
import { DomainError } from "../../domain/errors.js";
import type { AdmitOutcome, AdmitRequest, ReplayStore } from "../../domain/verify/index.js";
import type { RedisClient } from "./connection.js";
import { AGENT_BUCKETS, gateKeys } from "./gate-keys.js";
import { AGENT_LUA, CALLER_LUA, CALLER_REFUND_LUA, COMBINED_LUA, INIT_EPOCH_LUA, SET_VERSION_LUA } from "./gate-lua.js";
import { RedisScript, redisCall } from "./script.js";

const callerScript = new RedisScript(CALLER_LUA);
const ALL_BUCKETS: readonly number[] = Array.from({ length: AGENT_BUCKETS }, (_, b) => b);
const callerRefundScript = new RedisScript(CALLER_REFUND_LUA);
const agentScript = new RedisScript(AGENT_LUA);
const combinedScript = new RedisScript(COMBINED_LUA);
const setVersionScript = new RedisScript(SET_VERSION_LUA);
const initEpochScript = new RedisScript(INIT_EPOCH_LUA);

function parseOutcome(reply: unknown, onBeforeEpoch: ((epochMs: number) => void) | undefined): AdmitOutcome {
  if (Array.isArray(reply)) {
    const [kind, a, b] = reply as unknown[];
    if (kind === "admitted") return { outcome: "admitted" };
    if (kind === "replay") return { outcome: "replay" };
    if (kind === "before_epoch") {
      if (typeof a === "number") onBeforeEpoch?.(a);
      return { outcome: "before_epoch" };
    }
    if (kind === "stale_state" && typeof a === "number") {
      return { outcome: "stale_state", currentVersion: a < 0 ? undefined : a };
    }
    if (kind === "rate_limited" && (a === "caller" || a === "agent") && typeof b === "number") {
      return { outcome: "rate_limited", scope: a, retryAfterMs: Math.max(1, b) };
    }
  }
  throw new DomainError("internal", "redis.unexpected_reply", "internal error", { cause: reply });
}

/** The caller step's verdict: undefined when charged, else the retry delay. */
function parseCallerReply(reply: unknown): number | undefined {
  if (Array.isArray(reply) && reply[0] === 1) return undefined;
  if (Array.isArray(reply) && reply[0] === 0 && typeof reply[1] === "number") return Math.max(1, reply[1]);
  throw new DomainError("internal", "redis.unexpected_reply", "internal error", { cause: reply });
}

/**
 * The Redis ReplayGate. On one server an admit is one script (the caller's limiter and the agent's step). A
 * cluster runs a script only within one slot, so there it is two: the caller's limiter first (refused: the
 * agent's state is untouched), then version, epoch, agent limiter and nonce in the agent's bucket; when that
 * step refuses (stale, before epoch, agent limited) the caller's charge is given back. Each agent bucket has
 * its own epoch, created by initEpoch (start-up, readiness probe) or by the first admit after the bucket's
 * slot lost its data, and on a cluster moved to now by the first admit after its master changed (a failover
 * to a replica that may have missed the last nonces): see agentStep in gate-lua.ts.
 */
export class RedisReplayGate implements ReplayStore {
  private readonly keys: ReturnType<typeof gateKeys>;
  private readonly cluster: boolean;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly options: {
      /** Told the epoch in force whenever a proof is refused as before_epoch (the restart window is open). */
      readonly onBeforeEpoch?: (epochMs: number) => void;
    } = {},
  ) {
    this.keys = gateKeys(prefix);
    this.cluster = redis instanceof Cluster;
  }

  async admit(r: AdmitRequest): Promise<AdmitOutcome> {
    const k = this.keys;
    const now = Math.floor(r.nowMs);
    const agentKeys = [k.agentEpoch(r.agentId), k.agentStamp(r.agentId), k.agentVersion(r.agentId), k.agentLimiter(r.agentId), k.nonce(r.agentId, r.jti)];
    const agentArgs = [now, r.agentStateVersion, r.agentLimitPerMinute, Math.ceil(r.nonceTtlMs), Math.floor(r.proofIatMs), Math.floor(r.epochGraceMs)];
    const callerKey = k.callerLimiter(r.callerKey);
    if (!this.cluster) {
      const reply = await combinedScript.run(this.redis, [...agentKeys, callerKey], [...agentArgs, r.callerLimitPerMinute]);
      return parseOutcome(reply, this.options.onBeforeEpoch);
    }
    const callerArgs = [now, r.callerLimitPerMinute];
    const retryAfterMs = parseCallerReply(await callerScript.run(this.redis, [callerKey], callerArgs));
    if (retryAfterMs !== undefined) return { outcome: "rate_limited", scope: "caller", retryAfterMs };
    const outcome = parseOutcome(await agentScript.run(this.redis, agentKeys, agentArgs), this.options.onBeforeEpoch);
    // A refused request changes nothing (the port's contract); a replay stays charged.
    if (outcome.outcome !== "admitted" && outcome.outcome !== "replay") {
      await callerRefundScript.run(this.redis, [callerKey], callerArgs);
    }
    return outcome;
  }

  /**
   * Creates every bucket's epoch that is missing at epochMs; returns the latest epoch in force. The readiness
   * probe calls this every few seconds: on one server one MGET reads all epochs and only missing ones get the
   * script; a cluster runs the script in every bucket (keys in many slots, and each bucket's master stamp).
   */
  async initEpoch(epochMs: number): Promise<number> {
    const value = Math.floor(epochMs);
    let missing = ALL_BUCKETS;
    const inForce: number[] = [];
    if (!this.cluster) {
      const stored = await redisCall(() => this.redis.mget(ALL_BUCKETS.map((b) => this.keys.bucketEpoch(b))));
      missing = ALL_BUCKETS.filter((b) => stored[b] === null);
      for (const epoch of stored) if (epoch !== null) inForce.push(Number(epoch));
    }
    const created = await Promise.all(missing.map((b) => initEpochScript.run(this.redis, [this.keys.bucketEpoch(b), this.keys.bucketStamp(b)], [value])));
    return Math.max(...inForce, ...created.map(Number));
  }

  async setAgentVersion(agentId: string, version: number): Promise<void> {
    await setVersionScript.run(this.redis, [this.keys.agentVersion(agentId)], [version]);
  }

  async putProposal(id: string, value: string, ttlMs: number): Promise<void> {
    await redisCall(() => this.redis.set(this.keys.proposal(id), value, "PX", Math.ceil(ttlMs)));
  }

  async takeProposal(id: string): Promise<string | undefined> {
    const value = await redisCall(() => this.redis.getdel(this.keys.proposal(id)));
    return value ?? undefined;
  }
}
