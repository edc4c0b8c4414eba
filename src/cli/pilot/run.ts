/** The pilot smoke run: every step of the pilot checklist against a running service, in order, with outcomes. */
import { Code, ConnectError } from "@connectrpc/connect";
import { certificateIdentity, pilotClients } from "./clients.js";
import type { PilotSettings } from "./settings.js";
import type { PilotRun, StepOutcome, StepResult } from "./step-kit.js";
import { auditExported, renewCredential, telemetryMovesTrust } from "./steps-lifecycle.js";
import { createOrg, exchangeToken, registerAgent, verifyKit } from "./steps-setup.js";
import { rateLimitReached, replayRefused, revokeHolds, verifyFresh } from "./steps-verify.js";

export const PILOT_STEPS = [
  "token_exchange",
  "create_org",
  "register_agent",
  "verify",
  "replay",
  "rate_limit",
  "telemetry_trust",
  "renew_credential",
  "revoke",
  "audit_export",
] as const;
export type PilotStep = (typeof PILOT_STEPS)[number];

export interface PilotReport {
  readonly ok: boolean;
  readonly addr: string;
  readonly org_id: string;
  readonly agent_id: string;
  readonly steps: Partial<Record<PilotStep, StepOutcome>>;
  readonly failed_step?: PilotStep;
  readonly error?: string;
}

function errorText(e: unknown): string {
  if (e instanceof ConnectError) return `${Code[e.code]}: ${e.rawMessage}`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs the steps in order, recording each one's outcome and time; `current` names the step that failed. */
class StepRecorder {
  readonly steps: Partial<Record<PilotStep, StepOutcome>> = {};
  current: PilotStep = PILOT_STEPS[0];

  async step<T>(name: PilotStep, fn: () => Promise<StepResult<T>>): Promise<T> {
    this.current = name;
    const started = performance.now();
    const { outcome, value } = await fn();
    this.steps[name] = { ...outcome, elapsed_ms: Math.round(performance.now() - started) };
    return value;
  }
}

async function runSteps(run: PilotRun, recorder: StepRecorder): Promise<void> {
  const step = recorder.step.bind(recorder);
  const { token, issuerUrl } = await step("token_exchange", () => exchangeToken(run));
  const adminClients = run.clients.admin(token);
  await step("create_org", () => createOrg(run, adminClients));
  const { agentKey, credential } = await step("register_agent", () => registerAgent(run, adminClients, issuerUrl));
  const kit = verifyKit(run, agentKey);
  const firstProof = await step("verify", () => verifyFresh(run, kit, credential));
  await step("replay", () => replayRefused(kit, credential, firstProof));
  await step("rate_limit", () => rateLimitReached(run, kit, credential));
  await step("telemetry_trust", () => telemetryMovesTrust(run, adminClients));
  const renewed = await step("renew_credential", () => renewCredential(run, agentKey, credential));
  await step("revoke", () => revokeHolds(run, adminClients, kit, renewed));
  await step("audit_export", () => auditExported(run, adminClients));
}

/** Runs every step; never throws for a failed step (the report names it), only for programming errors. */
export async function runPilotSmoke(settings: PilotSettings): Promise<PilotReport> {
  const recorder = new StepRecorder();
  let run: PilotRun | undefined;
  const report = (ok: boolean, failure?: { failed_step: PilotStep; error: string }): PilotReport => ({
    ok,
    addr: settings.addr,
    org_id: run?.orgId ?? "",
    agent_id: run?.agentId ?? "",
    steps: recorder.steps,
    ...failure,
  });
  try {
    const clients = pilotClients(settings);
    const rpAudience = settings.rpAudience ?? certificateIdentity(settings.relyingParty.certFile);
    run = { settings, clients, rpAudience, orgId: "", agentId: "" };
    await runSteps(run, recorder);
    return report(true);
  } catch (e) {
    return report(false, { failed_step: recorder.current, error: errorText(e) });
  }
}
