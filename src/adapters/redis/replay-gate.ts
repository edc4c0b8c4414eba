/** Redis replay gate (one server or a cluster): the caller's limiter, then one Lua script in the agent's slot. */
import { DomainError } from "../../domain/errors.js";
import type { AdmitOutcome, AdmitRequest, ReplayStore } from "../../domain/verify/index.js";
import type { RedisClient } from "./connection.js";
import { AGENT_BUCKETS, gateKeys } from "./gate-keys.js";
import { RedisScript, redisCall } from "./script.js";

// The GCRA step shared by the scripts (see gcra in gate.ts): returns allowed, and the new tat or the retry delay.
const GCRA_LUA = `
local function gcra(key, limit, now)
  local interval = 60000 / limit
  local tat = tonumber(redis.call('GET', key))
  if not tat or tat < now then tat = now end
  -- tat <= now + 60000 holds while time moves forward; beyond it the clock was stepped back (see gcra in gate.ts)
  if tat > now + 60000 then tat = now + 60000 - interval end
  local newTat = tat + interval
  local allowAt = newTat - 60000
  if now < allowAt then return false, math.ceil(allowAt - now) end
  return true, newTat
end
-- PX at least 1: with a huge limit (renewals pass 2^53-1) the interval vanishes next to now and the TTL would be 0.
local function charge(key, tat, now)
  redis.call('SET', key, string.format('%.3f', tat), 'PX', math.max(1, math.ceil(tat - now)))
end
`;

// The caller's slot. KEYS: 1 caller limiter. ARGV: 1 now ms, 2 limit/min. Charges when allowed.
const CALLER_LUA = `${GCRA_LUA}
local now = tonumber(ARGV[1])
local ok, value = gcra(KEYS[1], tonumber(ARGV[2]), now)
if not ok then return {0, value} end
charge(KEYS[1], value, now)
return {1}
`;

// Gives back one charge of the caller's limiter (the agent step refused a request the caller step charged).
const CALLER_REFUND_LUA = `
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
local back = tat - 60000 / tonumber(ARGV[2])
if back <= now then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], string.format('%.3f', back), 'PX', math.ceil(back - now))
return 1
`;

// The master's replication id, or false where INFO is not allowed (then only the missing-epoch rule applies).
// A promoted replica, or a master restarted, has a new one: writes just before may be lost.
const REPLID_LUA = `
local function replid()
  local ok, info = pcall(redis.call, 'INFO', 'replication')
  if not ok then return false end
  return string.match(info, 'master_replid:(%x+)') or false
end
`;

// The agent's slot (bucket tag). KEYS: 1 bucket epoch, 2 bucket replid stamp, 3 agent version, 4 agent limiter,
// 5 nonce. ARGV: 1 now ms, 2 expected version, 3 agent limit/min, 4 nonce ttl ms, 5 proof iat ms, 6 epoch grace ms.
// The epoch moves to now when the bucket's master is not the one that stamped it (failover, restart).
const AGENT_LUA = `${GCRA_LUA}${REPLID_LUA}
local now = tonumber(ARGV[1])
local id = replid()
local stamp = redis.call('GET', KEYS[2])
if id and stamp ~= id then
  local e = tonumber(redis.call('GET', KEYS[1]))
  if stamp and e and e < now then redis.call('SET', KEYS[1], ARGV[1]) end
  redis.call('SET', KEYS[2], id)
end
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local ver = redis.call('GET', KEYS[3])
if not ver then return {'stale_state', -1} end
if tonumber(ver) ~= tonumber(ARGV[2]) then return {'stale_state', tonumber(ver)} end
local epoch = tonumber(redis.call('GET', KEYS[1]))
if tonumber(ARGV[5]) <= epoch + tonumber(ARGV[6]) then return {'before_epoch', epoch} end
local ok, value = gcra(KEYS[4], tonumber(ARGV[3]), now)
if not ok then return {'rate_limited', 'agent', value} end
charge(KEYS[4], value, now)
if redis.call('SET', KEYS[5], '1', 'NX', 'PX', tonumber(ARGV[4])) then return {'admitted'} end
return {'replay'}
`;

const SET_VERSION_LUA = `
local v = tonumber(redis.call('GET', KEYS[1]))
if not v or tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`;

// KEYS: 1 bucket epoch, 2 bucket replid stamp. ARGV: 1 epoch ms. Returns the epoch in force.
const INIT_EPOCH_LUA = `${REPLID_LUA}
redis.call('SET', KEYS[1], ARGV[1], 'NX')
if redis.call('EXISTS', KEYS[2]) == 0 then
  local id = replid()
  if id then redis.call('SET', KEYS[2], id) end
end
return redis.call('GET', KEYS[1])
`;

const callerScript = new RedisScript(CALLER_LUA);
const callerRefundScript = new RedisScript(CALLER_REFUND_LUA);
const agentScript = new RedisScript(AGENT_LUA);
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
    if (kind === "rate_limited" && a === "agent" && typeof b === "number") {
      return { outcome: "rate_limited", scope: "agent", retryAfterMs: Math.max(1, b) };
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
 * The Redis ReplayGate. Admission is two scripts, each in one slot: the caller's limiter first (refused: the
 * agent's state is untouched), then version, epoch, agent limiter and nonce in the agent's bucket; when that
 * step refuses (stale, before epoch, agent limited) the caller's charge is given back. Each agent bucket has
 * its own epoch, created by initEpoch (start-up, readiness probe) or by the first admit after the bucket's
 * slot lost its data, and moved to now by the first admit after its master changed (a failover to a replica
 * that may have missed the last nonces, or a restart): see the stamp in AGENT_LUA.
 */
export class RedisReplayGate implements ReplayStore {
  private readonly keys: ReturnType<typeof gateKeys>;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly options: {
      /** Told the epoch in force whenever a proof is refused as before_epoch (the restart window is open). */
      readonly onBeforeEpoch?: (epochMs: number) => void;
    } = {},
  ) {
    this.keys = gateKeys(prefix);
  }

  async admit(r: AdmitRequest): Promise<AdmitOutcome> {
    const k = this.keys;
    const now = Math.floor(r.nowMs);
    const callerKey = k.callerLimiter(r.callerKey);
    const callerArgs = [now, r.callerLimitPerMinute];
    const retryAfterMs = parseCallerReply(await callerScript.run(this.redis, [callerKey], callerArgs));
    if (retryAfterMs !== undefined) return { outcome: "rate_limited", scope: "caller", retryAfterMs };
    const reply = await agentScript.run(
      this.redis,
      [k.agentEpoch(r.agentId), k.agentStamp(r.agentId), k.agentVersion(r.agentId), k.agentLimiter(r.agentId), k.nonce(r.agentId, r.jti)],
      [now, r.agentStateVersion, r.agentLimitPerMinute, Math.ceil(r.nonceTtlMs), Math.floor(r.proofIatMs), Math.floor(r.epochGraceMs)],
    );
    const outcome = parseOutcome(reply, this.options.onBeforeEpoch);
    // A refused request changes nothing (the port's contract); a replay stays charged.
    if (outcome.outcome !== "admitted" && outcome.outcome !== "replay") {
      await callerRefundScript.run(this.redis, [callerKey], callerArgs);
    }
    return outcome;
  }

  /** Creates every bucket's epoch that is missing at epochMs; returns the latest epoch in force. */
  async initEpoch(epochMs: number): Promise<number> {
    const value = Math.floor(epochMs);
    const buckets = Array.from({ length: AGENT_BUCKETS }, (_, b) => b);
    const stored = await Promise.all(buckets.map((b) => initEpochScript.run(this.redis, [this.keys.bucketEpoch(b), this.keys.bucketStamp(b)], [value])));
    return Math.max(...stored.map(Number));
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
