/** The replay gate's Lua scripts: GCRA, the master stamp, the agent step, the caller step, versions and epochs. */

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
export const CALLER_LUA = `${GCRA_LUA}
local now = tonumber(ARGV[1])
local ok, value = gcra(KEYS[1], tonumber(ARGV[2]), now)
if not ok then return {0, value} end
charge(KEYS[1], value, now)
return {1}
`;

// Gives back one charge of the caller's limiter (the agent step refused a request the caller step charged).
export const CALLER_REFUND_LUA = `
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then return 0 end
local back = tat - 60000 / tonumber(ARGV[2])
if back <= now then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], string.format('%.3f', back), 'PX', math.ceil(back - now))
return 1
`;

// The cluster node id of the master running the script (CLUSTER MYID: a promoted replica has another one), or
// false on one server (no cluster support: only the missing-epoch rule applies there).
const NODE_ID_LUA = `
local function nodeId()
  local ok, id = pcall(redis.call, 'CLUSTER', 'MYID')
  if ok and type(id) == 'string' then return id end
  return false
end
`;

// The agent's step, in its bucket's slot. k: 1 bucket epoch, 2 bucket master stamp, 3 agent version, 4 agent
// limiter, 5 nonce. a: 1 now ms, 2 expected version, 3 agent limit/min, 4 nonce ttl ms, 5 proof iat ms, 6 epoch
// grace ms. node: this master's node id (false: no stamp check). The epoch moves to now when the bucket was
// stamped by another master (a failover: the promoted replica may lack the last nonces). chargeCaller (or nil)
// runs with the agent's charge, once every check passed.
const AGENT_STEP_LUA = `
local function agentStep(k, a, node, chargeCaller)
  local now = tonumber(a[1])
  if node then
    local stamp = redis.call('GET', k[2])
    if stamp ~= node then
      local e = tonumber(redis.call('GET', k[1]))
      if stamp and e and e < now then redis.call('SET', k[1], a[1]) end
      redis.call('SET', k[2], node)
    end
  end
  redis.call('SET', k[1], a[1], 'NX')
  local ver = redis.call('GET', k[3])
  if not ver then return {'stale_state', -1} end
  if tonumber(ver) ~= tonumber(a[2]) then return {'stale_state', tonumber(ver)} end
  local epoch = tonumber(redis.call('GET', k[1]))
  if tonumber(a[5]) <= epoch + tonumber(a[6]) then return {'before_epoch', epoch} end
  local ok, value = gcra(k[4], tonumber(a[3]), now)
  if not ok then return {'rate_limited', 'agent', value} end
  charge(k[4], value, now)
  if chargeCaller then chargeCaller() end
  if redis.call('SET', k[5], '1', 'NX', 'PX', tonumber(a[4])) then return {'admitted'} end
  return {'replay'}
end
`;

/** The agent step alone (a cluster: the caller's limiter is in another slot). KEYS and ARGV as agentStep's. */
export const AGENT_LUA = `${GCRA_LUA}${NODE_ID_LUA}${AGENT_STEP_LUA}
return agentStep(KEYS, ARGV, nodeId(), nil)
`;

/**
 * One server: the caller's limiter and the agent step in one script (one round trip, nothing to give back).
 * KEYS 1-5 and ARGV 1-6 as agentStep's; KEYS[6] the caller's limiter, ARGV[7] its limit/min.
 */
export const COMBINED_LUA = `${GCRA_LUA}${AGENT_STEP_LUA}
local now = tonumber(ARGV[1])
local okCaller, callerValue = gcra(KEYS[6], tonumber(ARGV[7]), now)
if not okCaller then return {'rate_limited', 'caller', callerValue} end
return agentStep(KEYS, ARGV, false, function() charge(KEYS[6], callerValue, now) end)
`;

export const SET_VERSION_LUA = `
local v = tonumber(redis.call('GET', KEYS[1]))
if not v or tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`;

// KEYS: 1 bucket epoch, 2 bucket master stamp. ARGV: 1 epoch ms. Returns the epoch in force.
export const INIT_EPOCH_LUA = `${NODE_ID_LUA}
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local node = nodeId()
if node then redis.call('SET', KEYS[2], node, 'NX') end
return redis.call('GET', KEYS[1])
`;
