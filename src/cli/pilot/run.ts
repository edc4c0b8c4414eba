/** The pilot smoke run: every step of the pilot checklist against a running service, in order, with outcomes. */
import { writeFileSync } from "node:fs";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodeJwt, exportJWK, generateKeyPair } from "jose";
import { AgentStatus, type TrustScore } from "../../../gen/agentidentity/v1/common_pb.js";
import type { VerifyResponse } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { AgentIdentityClient } from "../../client/agent.js";
import { exportAndVerify } from "./audit-export.js";
import { lookupRestartWindow, staleProofExplanation } from "./restart-window.js";
import { ADMIN_API_KEY_HEADER, certificateIdentity, pilotClients } from "./clients.js";
import type { PilotSettings } from "./settings.js";

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

export type StepOutcome = Record<string, string | number | boolean>;

export interface PilotReport {
  readonly ok: boolean;
  readonly addr: string;
  readonly org_id: string;
  readonly agent_id: string;
  readonly steps: Partial<Record<PilotStep, StepOutcome>>;
  readonly failed_step?: PilotStep;
  readonly error?: string;
}

/** A step whose check did not hold (as opposed to a transport error, also reported against its step). */
export class StepCheckError extends Error {
  override readonly name = "StepCheckError";
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepCheckError(message);
}

const SCOPE = "pilot:smoke";
const OPERATION = "pilot.ping";
const CURRENCY = "EUR";
const AMOUNT_MINOR = 100n;
/** Most waits for a retry-after hint before the final Verify (the caller guard refills within seconds). */
const MAX_RETRY_WAITS = 5;
const MAX_RETRY_WAIT_MS = 10_000;
/** Parallel Verify calls while pushing past the rate limit. */
const RATE_LIMIT_CONCURRENCY = 8;

function uptimeFactor(score: TrustScore | undefined): { value: number; contribution: number } {
  const factor = score?.factors.find((f) => f.name === "uptime");
  if (factor === undefined) throw new StepCheckError("the trust score has no uptime factor");
  return { value: factor.value, contribution: factor.contribution };
}

function retryAfterMs(e: ConnectError): number {
  const seconds = Number(e.metadata.get("retry-after") ?? "1");
  return Math.min(MAX_RETRY_WAIT_MS, Math.max(1, Number.isFinite(seconds) ? seconds : 1) * 1000);
}

function errorText(e: unknown): string {
  if (e instanceof ConnectError) return `${Code[e.code]}: ${e.rawMessage}`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs every step; never throws for a failed step (the report names it), only for programming errors. */
export async function runPilotSmoke(settings: PilotSettings): Promise<PilotReport> {
  const steps: Partial<Record<PilotStep, StepOutcome>> = {};
  const state = { orgId: "", agentId: "" };
  let current: PilotStep = "token_exchange";
  const step = async <T>(name: PilotStep, fn: () => Promise<{ outcome: StepOutcome; value: T }>): Promise<T> => {
    current = name;
    const started = performance.now();
    const { outcome, value } = await fn();
    steps[name] = { ...outcome, elapsed_ms: Math.round(performance.now() - started) };
    return value;
  };

  try {
    const clients = pilotClients(settings);
    const rpAudience = settings.rpAudience ?? certificateIdentity(settings.relyingParty.certFile);

    // 1. Exchange the admin API key (header, never a field) for a short-lived admin JWT.
    const { token, issuerUrl } = await step("token_exchange", async () => {
      const res = await clients.exchange.exchangeToken({}, { headers: { [ADMIN_API_KEY_HEADER]: settings.adminApiKey } });
      check(res.accessToken !== "", "no access token returned");
      const claims = decodeJwt(res.accessToken);
      const iss = settings.issuerUrl ?? (typeof claims.iss === "string" ? claims.iss : "");
      check(iss !== "", "the admin JWT has no iss (set PILOT_ISSUER_URL)");
      return {
        outcome: { subject: res.subject, token_type: res.tokenType, expires_in_s: Number(claims.exp ?? 0) - Number(claims.iat ?? 0) },
        value: { token: res.accessToken, issuerUrl: iss },
      };
    });
    const { admin, registry } = clients.admin(token);

    // 2. A fresh organisation for this run.
    state.orgId = await step("create_org", async () => {
      const { org } = await admin.createOrg({ name: `pilot smoke ${new Date().toISOString()}` });
      check(org !== undefined && org.id.startsWith("org_"), "CreateOrg returned no org id");
      return { outcome: { org_id: org.id }, value: org.id };
    });

    // 3. Register an agent with a fresh key (the service only sees the public key and a possession proof).
    const { agentKey, credential } = await step("register_agent", async () => {
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const key = await AgentIdentityClient.fromJwk(await exportJWK(privateKey), { serviceAudience: issuerUrl });
      const res = await registry.registerAgent({
        orgId: state.orgId,
        displayName: "pilot smoke agent",
        publicJwk: JSON.stringify(key.publicJwk),
        capabilities: { scopes: [SCOPE], operations: [OPERATION], amountLimits: [{ currency: CURRENCY, maxAmountMinor: 10_000n }] },
        possessionProof: await key.makePossessionProof({ op: "agent.register", audience: issuerUrl, orgId: state.orgId }),
      });
      const agentId = res.agent?.id ?? "";
      check(agentId.startsWith("agt_"), "RegisterAgent returned no agent id");
      check((res.credential?.token ?? "") !== "", "RegisterAgent returned no credential");
      key.agentId = agentId;
      state.agentId = agentId;
      return { outcome: { agent_id: agentId, key_thumbprint: key.thumbprint }, value: { agentKey: key, credential: res.credential!.token } };
    });

    const proof = (cred: string): Promise<string> =>
      agentKey.makeProof({ audience: rpAudience, scope: SCOPE, op: OPERATION, amountMinor: AMOUNT_MINOR, currency: CURRENCY, credentialOrSession: cred });
    const verify = async (cred: string, proofJws: string): Promise<VerifyResponse> =>
      clients.verifier.verify({
        presented: { case: "credential", value: cred },
        proof: proofJws,
        scope: SCOPE,
        operation: OPERATION,
        amountMinor: AMOUNT_MINOR,
        currency: CURRENCY,
      });

    // 4. A fresh proof verifies. A stale_proof right after the replay store restarted empty is the restart
    //    window (seconds): name it, wait for its end and try once more with a proof made after it.
    const firstProof = await step("verify", async () => {
      let sent = await proof(credential);
      let res = await verify(credential, sent);
      let window: StepOutcome = {};
      if (res.reasonCode === "stale_proof") {
        const lookup = await lookupRestartWindow(settings.sidecarUrl);
        const waitMs = lookup.kind === "window" ? lookup.window.untilMs + 1_000 - Date.now() : -1;
        check(lookup.kind === "window" && waitMs <= MAX_RETRY_WAIT_MS * 3, `a fresh proof was refused as stale_proof: ${staleProofExplanation(lookup)}`);
        window = { restart_window_until: lookup.window.until, waited_ms: Math.max(0, Math.round(waitMs)) };
        await new Promise((r) => setTimeout(r, Math.max(0, waitMs)));
        sent = await proof(credential);
        res = await verify(credential, sent);
        check(res.reasonCode !== "stale_proof", `a proof made after the restart window was refused as stale_proof: ${staleProofExplanation(lookup)}`);
      }
      check(res.valid && res.reasonCode === "verified", `expected verified, got ${res.reasonCode}`);
      return {
        outcome: { reason_code: res.reasonCode, decision_id: res.decisionId, trust_score: res.trustScore?.score ?? -1, ...window },
        value: sent,
      };
    });

    // 5. The same proof again is a replay.
    await step("replay", async () => {
      const res = await verify(credential, firstProof);
      check(!res.valid && res.reasonCode === "nonce_replay", `expected nonce_replay, got ${res.reasonCode}`);
      return { outcome: { reason_code: res.reasonCode, decision_id: res.decisionId }, value: undefined };
    });

    // 6. Fresh proofs until the service answers RESOURCE_EXHAUSTED, at most 2x the expected limit + 50.
    await step("rate_limit", async () => {
      const cap = 2 * settings.expectedRateLimit + 50;
      let sent = 0;
      let verified = 0;
      let limited: ConnectError | undefined;
      while (limited === undefined && sent < cap) {
        const batch = Math.min(RATE_LIMIT_CONCURRENCY, cap - sent);
        const proofs = await Promise.all(Array.from({ length: batch }, () => proof(credential)));
        sent += batch;
        const results = await Promise.allSettled(proofs.map((p) => verify(credential, p)));
        for (const r of results) {
          if (r.status === "fulfilled") {
            check(r.value.reasonCode === "verified", `a fresh proof was refused with ${r.value.reasonCode} before the limit`);
            verified++;
            continue;
          }
          const err = ConnectError.from(r.reason);
          if (err.code !== Code.ResourceExhausted) throw err;
          limited ??= err;
        }
      }
      check(limited !== undefined, `no RESOURCE_EXHAUSTED after ${sent} requests (PILOT_RATE_LIMIT=${settings.expectedRateLimit}; is the service's limit higher?)`);
      return {
        outcome: { code: "RESOURCE_EXHAUSTED", sent, verified_before_limit: verified, retry_after_s: Number(limited.metadata.get("retry-after") ?? 0) },
        value: undefined,
      };
    });

    // 7. Telemetry with raw.uptime_reliability moves the uptime factor: down with 0.2, up again with 0.99.
    await step("telemetry_trust", async () => {
      const before = uptimeFactor((await registry.getTrustScore({ agentId: state.agentId })).trustScore);
      const report = async (uptime: number) =>
        (
          await registry.reportTelemetry({
            agentId: state.agentId,
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
      const read = (await registry.getTrustScore({ agentId: state.agentId })).trustScore;
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
    });

    // 8. The agent renews its own credential (agent certificate + renewal proof, no admin token).
    const renewed = await step("renew_credential", async () => {
      const res = await clients.agentRegistry.issueCredential({ agentId: state.agentId, proof: await agentKey.makeRenewalProof() });
      const fresh = res.credential?.token ?? "";
      check(fresh !== "" && fresh !== credential, "IssueCredential returned no new credential");
      const expires = res.credential?.expireTime;
      return {
        outcome: { kid: res.credential?.kid ?? "", expires_at: expires === undefined ? "" : new Date(Number(expires.seconds) * 1000).toISOString() },
        value: fresh,
      };
    });

    // 9. Revoke, then a fresh proof with the renewed credential is refused as revoked.
    await step("revoke", async () => {
      const res = await registry.revokeAgent({ agentId: state.agentId, reason: "pilot smoke" });
      check(res.agent?.status === AgentStatus.REVOKED, "RevokeAgent did not report the agent revoked");
      let waits = 0;
      for (;;) {
        try {
          const decision = await verify(renewed, await proof(renewed));
          check(!decision.valid && decision.reasonCode === "revoked", `expected revoked, got ${decision.reasonCode}`);
          return { outcome: { reason_code: decision.reasonCode, decision_id: decision.decisionId, rate_limit_waits: waits }, value: undefined };
        } catch (e) {
          const err = e instanceof StepCheckError ? undefined : ConnectError.from(e);
          // The per-caller guard of step 6 may still be empty: honour its retry-after hint a few times.
          if (err === undefined || err.code !== Code.ResourceExhausted || waits >= MAX_RETRY_WAITS) throw e;
          waits++;
          await new Promise((r) => setTimeout(r, retryAfterMs(err)));
        }
      }
    });

    // 10. Export the run's audit range (this org's first to last event) and verify the chain offline.
    await step("audit_export", async () => {
      const created = await admin.listAuditEvents({ orgId: state.orgId, action: "org.created", pageSize: 1 });
      const newest = await admin.listAuditEvents({ orgId: state.orgId, pageSize: 1 });
      const start = created.events[0]?.seq;
      const end = newest.events[0]?.seq;
      check(start !== undefined && end !== undefined && end >= start, "cannot find this run's audit events");
      const exported = await exportAndVerify(admin, start, end);
      if (settings.auditExportFile !== undefined) writeFileSync(settings.auditExportFile, exported.text, { mode: 0o600 });
      const { result } = exported;
      check(result.ok, result.ok ? "" : `audit chain broken at seq ${result.seq}: ${result.problem}`);
      const ours = exported.parsed.events.filter((e) => e.orgId === state.orgId).map((e) => e.action);
      for (const action of ["org.created", "agent.registered", "verify.decision", "telemetry.reported", "credential.issued", "agent.revoked"]) {
        check(ours.includes(action), `the export lacks this run's ${action} event`);
      }
      return {
        outcome: {
          start_seq: result.startSeq,
          end_seq: result.endSeq,
          events: result.events,
          run_events: ours.length,
          checkpoints_verified: result.checkpoints,
          chain: "verified",
          ...(settings.auditExportFile !== undefined ? { file: settings.auditExportFile } : {}),
        },
        value: undefined,
      };
    });
    return { ok: true, addr: settings.addr, org_id: state.orgId, agent_id: state.agentId, steps };
  } catch (e) {
    return {
      ok: false,
      addr: settings.addr,
      org_id: state.orgId,
      agent_id: state.agentId,
      steps,
      failed_step: current,
      error: errorText(e),
    };
  }
}
