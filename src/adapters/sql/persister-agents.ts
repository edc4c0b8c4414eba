/** Agents in SQL: tables agents, agent_keys (key history) and agent_manifests (manifest history). */
import { DomainError, notFound } from "../../domain/errors.js";
import type {
  Agent,
  AgentListFilter,
  AgentRepository,
  AgentState,
  AgentStatus,
  CapabilityManifest,
  RevokeAgentInput,
  RevokeAgentResult,
  RotateAgentKeyInput,
  UpdateCapabilitiesInput,
} from "../../domain/agents/index.js";
import type { AgentPublicJwk } from "../../domain/keys/index.js";
import type { OrgTier } from "../../domain/orgs/index.js";
import type { Page } from "../../domain/paging.js";
import type { Queryable } from "./database.js";
import { decodeTimeIdToken, encodeToken, pageSize } from "./pagination.js";
import { isForeignKeyViolation, isUniqueViolation, optional, toMs, toOptionalMs, toSafeInt, ts } from "./sql-values.js";

const AGENT_COLUMNS = `a.id, a.org_id, a.display_name, a.metadata, a.status, a.state_version, a.public_jwk,
  a.key_thumbprint, a.manifest, a.manifest_hash, a.created_at, a.updated_at, a.revoked_at, a.revoked_by, a.revoke_reason`;

interface AgentRow {
  id: string;
  org_id: string;
  display_name: string;
  metadata: Record<string, string>;
  status: string;
  state_version: string;
  public_jwk: AgentPublicJwk;
  key_thumbprint: string;
  manifest: StoredManifest;
  manifest_hash: string;
  created_at: Date;
  updated_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

/** jsonb form of a manifest: amounts as decimal strings (bigint does not survive JSON). */
interface StoredManifest {
  scopes: string[];
  operations: string[];
  amountLimits: { currency: string; maxAmountMinor: string }[];
}

function storeManifest(m: CapabilityManifest): StoredManifest {
  return {
    scopes: [...m.scopes],
    operations: [...m.operations],
    amountLimits: m.amountLimits.map((l) => ({ currency: l.currency, maxAmountMinor: l.maxAmountMinor.toString() })),
  };
}

function loadManifest(m: StoredManifest): CapabilityManifest {
  return {
    scopes: m.scopes,
    operations: m.operations,
    amountLimits: m.amountLimits.map((l) => ({ currency: l.currency, maxAmountMinor: BigInt(l.maxAmountMinor) })),
  };
}

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    orgId: row.org_id,
    displayName: row.display_name,
    metadata: row.metadata,
    publicJwk: row.public_jwk,
    keyThumbprint: row.key_thumbprint,
    status: row.status as AgentStatus,
    capabilities: loadManifest(row.manifest),
    manifestHash: row.manifest_hash,
    stateVersion: toSafeInt(row.state_version),
    createdAtMs: toMs(row.created_at),
    updatedAtMs: toMs(row.updated_at),
    revokedAtMs: toOptionalMs(row.revoked_at),
    revokeReason: optional(row.revoke_reason),
    revokedBy: optional(row.revoked_by),
  };
}

const agentNotFound = (): DomainError => notFound("agent.not_found", "agent");
const agentRevoked = (): DomainError => new DomainError("failed_precondition", "agent.revoked", "agent is revoked");

/** The agents module's repository plus the Verify path's reads (its agent-state loader). */
export interface SqlAgentRepository extends AgentRepository {
  /** The Verify path's view, joined with the org's tier. */
  getState(id: string): Promise<AgentState | undefined>;
  getStateVersion(id: string): Promise<number | undefined>;
}

async function getRow(q: Queryable, id: string): Promise<AgentRow | undefined> {
  const rows = await q.query<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents a WHERE a.id = $1`, [id]);
  return rows[0];
}

/** The agent after a guarded UPDATE that matched nothing: missing or revoked. */
async function explainNoUpdate(q: Queryable, id: string): Promise<DomainError> {
  const row = await getRow(q, id);
  return row === undefined ? agentNotFound() : agentRevoked();
}

async function insertAgent(q: Queryable, agent: Agent): Promise<void> {
  try {
    await q.query(
      `INSERT INTO agents (id, org_id, display_name, metadata, status, state_version, public_jwk, key_thumbprint,
         manifest, manifest_hash, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        agent.id,
        agent.orgId,
        agent.displayName,
        JSON.stringify(agent.metadata),
        agent.status,
        agent.stateVersion,
        JSON.stringify(agent.publicJwk),
        agent.keyThumbprint,
        JSON.stringify(storeManifest(agent.capabilities)),
        agent.manifestHash,
        ts(agent.createdAtMs),
        ts(agent.updatedAtMs),
      ],
    );
  } catch (e) {
    if (isForeignKeyViolation(e, "agents_org_id_fkey")) throw notFound("org.not_found", "organisation");
    if (isUniqueViolation(e, "agents_pkey")) throw new DomainError("already_exists", "agent.id_taken", "agent already exists", { cause: e });
    throw e;
  }
  await q.query("INSERT INTO agent_keys (agent_id, thumbprint, public_jwk, created_at) VALUES ($1, $2, $3, $4)", [
    agent.id,
    agent.keyThumbprint,
    JSON.stringify(agent.publicJwk),
    ts(agent.createdAtMs),
  ]);
  await q.query(
    "INSERT INTO agent_manifests (agent_id, state_version, manifest, manifest_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    [agent.id, agent.stateVersion, JSON.stringify(storeManifest(agent.capabilities)), agent.manifestHash, ts(agent.createdAtMs)],
  );
}

async function getAgent(q: Queryable, id: string): Promise<Agent | undefined> {
  const row = await getRow(q, id);
  return row === undefined ? undefined : toAgent(row);
}

async function getAgentState(q: Queryable, id: string): Promise<AgentState | undefined> {
  const rows = await q.query<AgentRow & { org_tier: string }>(
    `SELECT ${AGENT_COLUMNS}, o.tier AS org_tier FROM agents a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const agent = toAgent(row);
  return {
    agentId: agent.id,
    orgId: agent.orgId,
    status: agent.status,
    publicJwk: agent.publicJwk,
    keyThumbprint: agent.keyThumbprint,
    manifestHash: agent.manifestHash,
    capabilities: agent.capabilities,
    stateVersion: agent.stateVersion,
    createdAtMs: agent.createdAtMs,
    orgTier: row.org_tier as OrgTier,
  };
}

async function getAgentStateVersion(q: Queryable, id: string): Promise<number | undefined> {
  const rows = await q.query<{ state_version: string }>("SELECT state_version FROM agents WHERE id = $1", [id]);
  return rows[0] === undefined ? undefined : toSafeInt(rows[0].state_version);
}

async function listAgents(q: Queryable, filter: AgentListFilter): Promise<Page<Agent>> {
  const size = pageSize(filter);
  const after = decodeTimeIdToken(filter.pageToken);
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.orgId !== undefined) {
    params.push(filter.orgId);
    where.push(`a.org_id = $${params.length}`);
  }
  if (filter.status !== undefined) {
    params.push(filter.status);
    where.push(`a.status = $${params.length}`);
  }
  if (after !== undefined) {
    params.push(ts(after.t), after.i);
    where.push(`(a.created_at, a.id) > ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(size + 1);
  const rows = await q.query<AgentRow>(
    `SELECT ${AGENT_COLUMNS} FROM agents a ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY a.created_at, a.id LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, size).map(toAgent);
  const last = items[items.length - 1];
  const nextPageToken = rows.length > size && last !== undefined ? encodeToken({ t: last.createdAtMs, i: last.id }) : undefined;
  return { items, nextPageToken };
}

async function revokeAgent(q: Queryable, id: string, input: RevokeAgentInput): Promise<RevokeAgentResult> {
  const updated = await q.query<AgentRow>(
    `UPDATE agents a SET status = 'revoked', revoked_at = $2, revoked_by = $3, revoke_reason = $4,
       state_version = a.state_version + 1, updated_at = $2
     WHERE a.id = $1 AND a.status = 'active' RETURNING ${AGENT_COLUMNS}`,
    [id, ts(input.atMs), input.by, input.reason],
  );
  if (updated[0] !== undefined) return { agent: toAgent(updated[0]), changed: true };
  const row = await getRow(q, id);
  if (row === undefined) throw agentNotFound();
  return { agent: toAgent(row), changed: false };
}

async function rotateAgentKey(q: Queryable, id: string, input: RotateAgentKeyInput): Promise<Agent> {
  const used = await q.query("SELECT 1 FROM agent_keys WHERE agent_id = $1 AND thumbprint = $2", [id, input.keyThumbprint]);
  if (used.length > 0) throw new DomainError("already_exists", "agent.key_reused", "this key was already used by the agent");
  const updated = await q.query<AgentRow>(
    `UPDATE agents a SET public_jwk = $2, key_thumbprint = $3, state_version = a.state_version + 1, updated_at = $4
     WHERE a.id = $1 AND a.status = 'active' RETURNING ${AGENT_COLUMNS}`,
    [id, JSON.stringify(input.publicJwk), input.keyThumbprint, ts(input.atMs)],
  );
  const row = updated[0];
  if (row === undefined) throw await explainNoUpdate(q, id);
  await q.query("UPDATE agent_keys SET retired_at = $2 WHERE agent_id = $1 AND retired_at IS NULL", [id, ts(input.atMs)]);
  try {
    await q.query("INSERT INTO agent_keys (agent_id, thumbprint, public_jwk, created_at) VALUES ($1, $2, $3, $4)", [
      id,
      input.keyThumbprint,
      JSON.stringify(input.publicJwk),
      ts(input.atMs),
    ]);
  } catch (e) {
    if (isUniqueViolation(e, "agent_keys_pkey")) {
      throw new DomainError("already_exists", "agent.key_reused", "this key was already used by the agent", { cause: e });
    }
    throw e;
  }
  return toAgent(row);
}

async function updateAgentCapabilities(q: Queryable, id: string, input: UpdateCapabilitiesInput): Promise<Agent> {
  const stored = JSON.stringify(storeManifest(input.capabilities));
  const updated = await q.query<AgentRow>(
    `UPDATE agents a SET manifest = $2, manifest_hash = $3, state_version = a.state_version + 1, updated_at = $4
     WHERE a.id = $1 AND a.status = 'active' RETURNING ${AGENT_COLUMNS}`,
    [id, stored, input.manifestHash, ts(input.atMs)],
  );
  const row = updated[0];
  if (row === undefined) throw await explainNoUpdate(q, id);
  await q.query(
    "INSERT INTO agent_manifests (agent_id, state_version, manifest, manifest_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    [id, row.state_version, stored, input.manifestHash, ts(input.atMs)],
  );
  return toAgent(row);
}

export function sqlAgentRepository(q: Queryable): SqlAgentRepository {
  return {
    insert: (agent) => insertAgent(q, agent),
    get: (id) => getAgent(q, id),
    getState: (id) => getAgentState(q, id),
    getStateVersion: (id) => getAgentStateVersion(q, id),
    list: (filter) => listAgents(q, filter),
    revoke: (id, input) => revokeAgent(q, id, input),
    rotateKey: (id, input) => rotateAgentKey(q, id, input),
    updateCapabilities: (id, input) => updateAgentCapabilities(q, id, input),
  };
}
