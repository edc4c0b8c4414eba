/** The replay gate's key layout: hash-tagged so each Verify's atomic step touches one cluster slot. */

/**
 * Agents are spread over this many buckets; each bucket is one hash tag (one cluster slot) holding its agents'
 * versions, limiters and nonces and the bucket's epoch. 1024 buckets spread agents within ~5% across a few
 * masters and still leave room to reshard; on a cluster initEpoch touches every bucket (1024 small scripts).
 */
export const AGENT_BUCKETS = 1024;

/** FNV-1a (32 bit) of the agent id, modulo AGENT_BUCKETS: stable across processes and versions. */
export function agentBucket(agentId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < agentId.length; i++) {
    hash ^= agentId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % AGENT_BUCKETS;
}

/**
 * Key layout under the configured prefix (docs/operations.md, "Redis Cluster"). Only the text between the
 * first "{" and the next "}" picks the cluster slot, and the prefix has no braces, so:
 * - `<prefix>{b<n>}:…` lives in bucket n's slot: the epoch, the id of the master that stamped it, and
 *   each agent's version, limiter and nonces;
 * - `<prefix>{c:<caller>}:rl` is the caller's limiter, in a slot of its own;
 * - proposals are single keys, in any slot.
 */
export function gateKeys(prefix: string) {
  const bucketTag = (n: number): string => `${prefix}{b${n}}`;
  const agentTag = (agentId: string): string => bucketTag(agentBucket(agentId));
  return {
    bucketEpoch: (bucket: number) => `${bucketTag(bucket)}:epoch`,
    agentEpoch: (agentId: string) => `${agentTag(agentId)}:epoch`,
    /** On a cluster, the node id of the master that last admitted in the bucket (another one: a failover). */
    bucketStamp: (bucket: number) => `${bucketTag(bucket)}:master`,
    agentStamp: (agentId: string) => `${agentTag(agentId)}:master`,
    agentVersion: (agentId: string) => `${agentTag(agentId)}:ver:${agentId}`,
    agentLimiter: (agentId: string) => `${agentTag(agentId)}:rl:${agentId}`,
    nonce: (agentId: string, jti: string) => `${agentTag(agentId)}:n:${agentId}:${jti}`,
    callerLimiter: (callerKey: string) => `${prefix}{c:${callerKey}}:rl`,
    proposal: (id: string) => `${prefix}proposal:${id}`,
  };
}
