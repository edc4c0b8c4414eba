/** Trust telemetry: record reports (admins of the agent's org, or relying parties about their decisions) and scores. */
import type { Clock } from "../clock.js";
import { DomainError, invalidField } from "../errors.js";
import { newId, requireAgentId } from "../ids.js";
import type { Actor } from "../peer.js";
import type { TelemetryReads as ReadStores, TelemetryUnitOfWork as UnitOfWork, TrustStateRepository } from "./ports.js";
import { TRUST_MODEL_VERSION, type TrustScore } from "./score.js";
import type { TrustScorer } from "./scorer.js";
import { applyEvent, emptyTrustState, type Reporter } from "./state.js";
import { trustEventFromReport } from "./report.js";
import { decodeTrustState, encodeTrustState } from "./state-codec.js";
import type { Agent, AgentService } from "../agents/index.js";
import { type RelyingPartyOrgs, requireAdminFor, requireReadAccess } from "../access.js";
import { TOKEN_SYNTAX } from "../input-rules.js";
import type { JsonObject } from "../json.js";

const MAX_REPORT_AGE_MS = 30 * 24 * 3600 * 1000;
const FUTURE_TOLERANCE_MS = 60_000;
const MAX_STATE_WRITE_ATTEMPTS = 5;
/** The largest latency a report may carry (the column is a 32-bit integer). */
const MAX_LATENCY_MS = 2_147_483_647;
/** The largest raw telemetry object, serialised. */
const MAX_RAW_BYTES = 16 * 1024;

/** raw must fit the jsonb column: bounded, and no NUL anywhere (Postgres text and jsonb cannot hold it). */
function requireRawJson(raw: JsonObject): void {
  const text = JSON.stringify(raw);
  if (text.length > MAX_RAW_BYTES) throw invalidField("telemetry.invalid", "raw", `must be at most ${MAX_RAW_BYTES} bytes as JSON`);
  if (text.includes("\\u0000")) throw invalidField("telemetry.invalid", "raw", "must not contain NUL characters");
}

export interface TelemetryReportInput {
  readonly agentId: string;
  readonly eventType: string;
  readonly success: boolean;
  readonly latencyMs: number;
  readonly slaMet: boolean;
  readonly dispute: boolean;
  readonly raw: JsonObject;
  readonly decisionId: string;
  readonly occurredAtMs: number | undefined;
}

export interface TelemetryServiceDeps {
  readonly uow: UnitOfWork;
  readonly reads: ReadStores;
  readonly clock: Clock;
  readonly agents: AgentService;
  readonly relyingPartyOrgs: RelyingPartyOrgs;
  readonly scorer: TrustScorer;
}

/** Folds the event into the agent's stored trust state (optimistic concurrency, a few attempts). */
async function applyToState(
  states: Pick<TrustStateRepository, "get" | "put">,
  agentId: string,
  event: Parameters<typeof applyEvent>[1],
  nowMs: number,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_STATE_WRITE_ATTEMPTS; attempt++) {
    const stored = await states.get(agentId);
    const state = applyEvent(stored === undefined ? emptyTrustState() : decodeTrustState(stored.state), event);
    const record = { agentId, modelVersion: TRUST_MODEL_VERSION, state: encodeTrustState(state), updatedAtMs: nowMs };
    if (await states.put(record, stored?.version ?? 0)) return;
  }
  throw new DomainError("aborted", "trust.concurrent_update", "trust state changed concurrently; retry");
}

/** The "telemetry.reported" audit event of a report. */
function reportedEvent(actor: Actor, agent: Agent, eventId: string, reporter: Reporter, input: TelemetryReportInput, nowMs: number) {
  return {
    id: newId("evt"),
    timeMs: nowMs,
    actor: actor.identity,
    action: "telemetry.reported",
    target: agent.id,
    orgId: agent.orgId,
    requestId: actor.requestId,
    details: {
      event_id: eventId,
      reporter_kind: reporter,
      event_type: input.eventType,
      success: input.success,
      sla_met: input.slaMet,
      dispute: input.dispute,
      decision_id: input.decisionId,
    },
  };
}

export class TelemetryService {
  constructor(private readonly deps: TelemetryServiceDeps) {}

  async report(actor: Actor, input: TelemetryReportInput): Promise<{ eventId: string; score: TrustScore }> {
    requireAgentId(input.agentId);
    if (!TOKEN_SYNTAX.test(input.eventType) || input.eventType.length > 64) {
      throw invalidField("telemetry.invalid", "event_type", "must be 1..64 characters of [A-Za-z0-9._:/-]");
    }
    requireRawJson(input.raw);
    if (!Number.isSafeInteger(input.latencyMs) || input.latencyMs < 0 || input.latencyMs > MAX_LATENCY_MS) {
      throw invalidField("telemetry.invalid", "latency_ms", `must be 0..${MAX_LATENCY_MS}`);
    }
    const nowMs = this.deps.clock.nowMs();
    const occurredAtMs = input.occurredAtMs ?? nowMs;
    if (occurredAtMs > nowMs + FUTURE_TOLERANCE_MS) throw invalidField("telemetry.invalid", "occur_time", "must not be in the future");
    if (occurredAtMs < nowMs - MAX_REPORT_AGE_MS) throw invalidField("telemetry.invalid", "occur_time", "must be at most 30 days old");
    const agent = await this.deps.agents.requireAgent(input.agentId);
    const reporter = await this.reporterKind(actor, agent, input.decisionId);
    const event = trustEventFromReport({
      occurredAtMs,
      reporter,
      success: input.success,
      slaMet: input.slaMet,
      dispute: input.dispute,
      raw: input.raw,
    });
    const eventId = newId("tev");
    await this.deps.uow.run(async (tx) => {
      await tx.trustEvents.insert({
        id: eventId,
        agentId: agent.id,
        reporter: actor.identity,
        reporterKind: reporter,
        eventType: input.eventType,
        success: input.success,
        latencyMs: input.latencyMs,
        slaMet: input.slaMet,
        dispute: input.dispute,
        raw: input.raw,
        decisionId: input.decisionId === "" ? undefined : input.decisionId,
        occurredAtMs,
        recordedAtMs: nowMs,
      });
      await applyToState(tx.trustState, agent.id, event, nowMs);
      tx.audit.record(reportedEvent(actor, agent, eventId, reporter, input, nowMs));
    });
    return { eventId, score: await this.scoreOf(agent) };
  }

  async score(actor: Actor, agentId: string): Promise<TrustScore> {
    requireAgentId(agentId);
    const agent = await this.deps.agents.requireAgent(agentId);
    requireReadAccess(actor, agent.orgId, this.deps.relyingPartyOrgs);
    return this.scoreOf(agent);
  }

  /** Scored from storage (fresh), which also refreshes this replica's cached state after a report. */
  private async scoreOf(agent: Agent): Promise<TrustScore> {
    const org = await this.deps.reads.orgs.get(agent.orgId);
    return this.deps.scorer.score({ agentId: agent.id, createdAtMs: agent.createdAtMs, orgTier: org?.tier ?? "unverified" }, { fresh: true });
  }

  /** Admins report as the org (bounded weight); relying parties only about a decision they received. */
  private async reporterKind(actor: Actor, agent: Agent, decisionId: string): Promise<Reporter> {
    if (actor.admin !== undefined) {
      requireAdminFor(actor, agent.orgId);
      return "org";
    }
    const peer = actor.peer;
    if (peer === undefined || !peer.roles.has("relying-party")) {
      throw new DomainError("permission_denied", "telemetry.reporter_denied", "only admins and relying parties report telemetry");
    }
    if (decisionId === "") throw invalidField("telemetry.decision_required", "decision_id", "is required for relying parties");
    const known = await this.deps.reads.trustEvents.isVerifyDecision({
      decisionId,
      agentId: agent.id,
      relyingParty: peer.identity,
    });
    if (!known) {
      throw new DomainError("permission_denied", "telemetry.decision_unknown", "decision_id is not a decision this relying party received about this agent");
    }
    return "relying_party";
  }
}
