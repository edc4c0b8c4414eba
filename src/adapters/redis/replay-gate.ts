/** Redis replay gate: one Lua script per admit (version, epoch, GCRA limits, SET NX PX nonce), one round trip. */
import type { Redis } from "ioredis";
import { DomainError } from "../../domain/errors.js";
import type { AdmitOutcome, AdmitRequest, ReplayStore } from "../../domain/verify/index.js";
import { RedisScript, redisCall } from "./script.js";

// KEYS: 1 epoch, 2 agent version, 3 caller limiter, 4 agent limiter, 5 nonce.
// ARGV: 1 now ms, 2 expected version, 3 caller limit/min, 4 agent limit/min, 5 nonce ttl ms, 6 proof iat ms,
//       7 epoch grace ms.
const ADMIT_LUA = `
local now = tonumber(ARGV[1])
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local ver = redis.call('GET', KEYS[2])
if not ver then return {'stale_state', -1} end
if tonumber(ver) ~= tonumber(ARGV[2]) then return {'stale_state', tonumber(ver)} end
local epoch = tonumber(redis.call('GET', KEYS[1]))
if tonumber(ARGV[6]) <= epoch + tonumber(ARGV[7]) then return {'before_epoch', epoch} end
local function gcra(key, limit)
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
local okCaller, callerValue = gcra(KEYS[3], tonumber(ARGV[3]))
if not okCaller then return {'rate_limited', 'caller', callerValue} end
local okAgent, agentValue = gcra(KEYS[4], tonumber(ARGV[4]))
if not okAgent then return {'rate_limited', 'agent', agentValue} end
-- PX at least 1: with a huge limit (renewals pass 2^53-1) the interval vanishes next to now and the TTL would be 0.
redis.call('SET', KEYS[3], string.format('%.3f', callerValue), 'PX', math.max(1, math.ceil(callerValue - now)))
redis.call('SET', KEYS[4], string.format('%.3f', agentValue), 'PX', math.max(1, math.ceil(agentValue - now)))
if redis.call('SET', KEYS[5], '1', 'NX', 'PX', tonumber(ARGV[5])) then return {'admitted'} end
return {'replay'}
`;

const SET_VERSION_LUA = `
local v = tonumber(redis.call('GET', KEYS[1]))
if not v or tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`;

const admitScript = new RedisScript(ADMIT_LUA);
const setVersionScript = new RedisScript(SET_VERSION_LUA);

/** Key layout under the configured prefix (documented in docs/operations via the report). */
export function gateKeys(prefix: string) {
  return {
    epoch: `${prefix}epoch`,
    agentVersion: (agentId: string) => `${prefix}agent:${agentId}:ver`,
    callerLimiter: (callerKey: string) => `${prefix}rl:caller:${callerKey}`,
    agentLimiter: (agentId: string) => `${prefix}rl:agent:${agentId}`,
    nonce: (agentId: string, jti: string) => `${prefix}nonce:${agentId}:${jti}`,
    proposal: (id: string) => `${prefix}proposal:${id}`,
  };
}

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

/** The Redis ReplayGate: every key under `prefix`; the epoch is created (SET NX) by the first admit after a flush. */
export class RedisReplayGate implements ReplayStore {
  private readonly keys: ReturnType<typeof gateKeys>;

  constructor(
    private readonly redis: Redis,
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
    const reply = await admitScript.run(
      this.redis,
      [k.epoch, k.agentVersion(r.agentId), k.callerLimiter(r.callerKey), k.agentLimiter(r.agentId), k.nonce(r.agentId, r.jti)],
      [
        Math.floor(r.nowMs),
        r.agentStateVersion,
        r.callerLimitPerMinute,
        r.agentLimitPerMinute,
        Math.ceil(r.nonceTtlMs),
        Math.floor(r.proofIatMs),
        Math.floor(r.epochGraceMs),
      ],
    );
    return parseOutcome(reply, this.options.onBeforeEpoch);
  }

  async initEpoch(epochMs: number): Promise<number> {
    const key = this.keys.epoch;
    const stored = await redisCall(async () => {
      await this.redis.set(key, String(Math.floor(epochMs)), "NX");
      return this.redis.get(key);
    });
    return Number(stored);
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
