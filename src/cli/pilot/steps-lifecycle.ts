/** Pilot steps 7, 8 and 10: telemetry moves the trust score, the agent renews its credential, the audit exports. */
import { writeFileSync } from "node:fs";
import type { TrustScore } from "../../../gen/agentidentity/v1/common_pb.js";
import type { AgentIdentityClient } from "../../client/agent.js";
import { exportAndVerify } from "./audit-export.js";
import { StepCheckError, check, type AdminClients, type PilotRun, type StepResult } from "./step-kit.js";

function uptimeFactor(score: TrustScore | undefined): { value: number; contribution: number } {
  const factor = score?.factors.find((f) => f.name === "uptime");
  if (factor === undefined) throw new StepCheckError("the trust score has no uptime factor");
  return { value: factor.value, contribution: factor.contribution };
}

/** 7. Telemetry with raw.uptime_reliability moves the uptime factor: down with 0.2, up again with 0.99. */
export async function telemetryMovesTrust(run: PilotRun, { registry }: AdminClients): Promise<StepResult<undefined>> {
  const agentId = run.agentId;
  const before = uptimeFactor((await registry.getTrustScore({ agentId })).trustScore);
  const report = async (uptime: number): Promise<TrustScore | undefined> =>
    (
      await registry.reportTelemetry({
        agentId,
        eventType: "pilot.smoke",
        success: true,
        latencyMs: 12,
        slaMet: true,
        dispute: false,
        raw: { uptime_reliability: uptime },
      })
    ).trustScore;
  const lowScore = await report(0.2);
  const low = uptimeFactor(lowScore);
  check(low.value < before.value, `uptime factor did not drop after uptime 0.2 (${before.value} -> ${low.value})`);
  const highScore = await report(0.99);
  const high = uptimeFactor(highScore);
  check(high.value > low.value, `uptime factor did not rise after uptime 0.99 (${low.value} -> ${high.value})`);
  const read = (await registry.getTrustScore({ agentId })).trustScore;
  check(read?.score === highScore?.score, "GetTrustScore disagrees with the last ReportTelemetry score");
  return {
    outcome: {
      uptime_contribution_before: before.contribution,
      uptime_contribution_after_0_2: low.contribution,
      uptime_contribution_after_0_99: high.contribution,
      score_after_0_2: lowScore?.score ?? -1,
      score_after_0_99: highScore?.score ?? -1,
      model_version: read?.modelVersion ?? "",
    },
    value: undefined,
  };
}

/** 8. The agent renews its own credential (agent certificate + renewal proof, no admin token). */
export async function renewCredential(run: PilotRun, agentKey: AgentIdentityClient, previous: string): Promise<StepResult<string>> {
  const res = await run.clients.agentRegistry.issueCredential({ agentId: run.agentId, proof: await agentKey.makeRenewalProof() });
  const fresh = res.credential?.token ?? "";
  check(fresh !== "" && fresh !== previous, "IssueCredential returned no new credential");
  const expires = res.credential?.expireTime;
  return {
    outcome: { kid: res.credential?.kid ?? "", expires_at: expires === undefined ? "" : new Date(Number(expires.seconds) * 1000).toISOString() },
    value: fresh,
  };
}

const RUN_ACTIONS = ["org.created", "agent.registered", "verify.decision", "telemetry.reported", "credential.issued", "agent.revoked"];

/** 10. Export the run's audit range (this org's first to last event) and verify the chain offline. */
export async function auditExported(run: PilotRun, { admin }: AdminClients): Promise<StepResult<undefined>> {
  const created = await admin.listAuditEvents({ orgId: run.orgId, action: "org.created", pageSize: 1 });
  const newest = await admin.listAuditEvents({ orgId: run.orgId, pageSize: 1 });
  const start = created.events[0]?.seq;
  const end = newest.events[0]?.seq;
  check(start !== undefined && end !== undefined && end >= start, "cannot find this run's audit events");
  const exported = await exportAndVerify(admin, start, end);
  const file = run.settings.auditExportFile;
  if (file !== undefined) writeFileSync(file, exported.text, { mode: 0o600 });
  const { result } = exported;
  check(result.ok, result.ok ? "" : `audit chain broken at seq ${result.seq}: ${result.problem}`);
  const ours = exported.parsed.events.filter((e) => e.orgId === run.orgId).map((e) => e.action);
  for (const action of RUN_ACTIONS) check(ours.includes(action), `the export lacks this run's ${action} event`);
  return {
    outcome: {
      start_seq: result.startSeq,
      end_seq: result.endSeq,
      events: result.events,
      run_events: ours.length,
      checkpoints_verified: result.checkpoints,
      chain: "verified",
      ...(file !== undefined ? { file } : {}),
    },
    value: undefined,
  };
}
