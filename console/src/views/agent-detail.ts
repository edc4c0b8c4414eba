/** One agent: identity, key, capabilities, trust (factors and chart), credentials issued, status history, actions. */
import type { Agent, AuditEvent, TrustScore } from "../../../src/client/web/index.js";
import { AgentStatus, RiskTier } from "../../../src/client/web/index.js";
import { msOf, run, session } from "../api.js";
import { announce, field, h, showAlert, showView, timeEl } from "../dom.js";
import { actionForm, capabilityFields, pasteArea } from "./agent-forms.js";
import { STATUS_NAMES } from "./agents.js";
import { trustChart, type TrustPoint } from "./trust-chart.js";

const RISK_NAMES: Readonly<Record<number, string>> = { [RiskTier.LOW]: "low", [RiskTier.MEDIUM]: "medium", [RiskTier.HIGH]: "high" };

function summary(agent: Agent): HTMLElement {
  const row = (term: string, value: Node | string): HTMLElement[] => [h("dt", {}, term), h("dd", {}, value)];
  const caps = agent.capabilities;
  return h(
    "dl",
    { class: "facts" },
    ...row("ID", h("code", {}, agent.id)),
    ...row("Organisation", h("code", {}, agent.orgId)),
    ...row("Status", h("span", { class: `badge badge-${STATUS_NAMES[agent.status] ?? "unknown"}`, id: "agent-status" }, STATUS_NAMES[agent.status] ?? "unknown")),
    ...row("Key thumbprint (RFC 7638)", h("code", {}, agent.keyThumbprint)),
    ...row("Scopes", caps?.scopes.join(", ") || "none"),
    ...row("Operations", caps?.operations.join(", ") || "none"),
    ...row("Amount limits", caps?.amountLimits.map((l) => `${l.currency} ${l.maxAmountMinor} (minor units)`).join(", ") || "none"),
    ...row("Created", timeEl(msOf(agent.createTime))),
    ...row("Updated", timeEl(msOf(agent.updateTime))),
    ...(agent.status === AgentStatus.REVOKED
      ? [...row("Revoked", timeEl(msOf(agent.revokeTime))), ...row("Revoke reason", agent.revokeReason), ...row("Revoked by", agent.revokedBy)]
      : []),
  );
}

function trustSection(score: TrustScore | undefined, points: readonly TrustPoint[]): HTMLElement {
  if (score === undefined) return h("section", { "aria-labelledby": "trust-title" }, h("h2", { id: "trust-title" }, "Trust"), h("p", {}, "Trust score unavailable."));
  const factors = h(
    "table",
    {},
    h("caption", {}, "Factor breakdown (contribution = weight × value)"),
    h("thead", {}, h("tr", {}, ...["Factor", "Weight", "Value", "Contribution"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, ...score.factors.map((f) => h("tr", {}, h("td", {}, f.name), h("td", {}, f.weight.toFixed(3)), h("td", {}, f.value.toFixed(3)), h("td", {}, f.contribution.toFixed(3))))),
  );
  return h(
    "section",
    { "aria-labelledby": "trust-title" },
    h("h2", { id: "trust-title" }, "Trust"),
    h("p", { class: "score" }, "Score ", h("strong", { id: "trust-score" }, score.score.toFixed(1)), " / 100", ` · risk ${RISK_NAMES[score.riskTier] ?? "unspecified"} · model ${score.modelVersion}`),
    factors,
    h("h3", {}, "Recent trust events"),
    trustChart(points),
  );
}

function eventsTable(caption: string, events: readonly AuditEvent[], detail: (e: AuditEvent) => string): HTMLElement {
  if (events.length === 0) return h("p", {}, `${caption}: none.`);
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...["Time", "Action", "By", "Details"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, ...events.map((e) => h("tr", {}, h("td", {}, timeEl(msOf(e.time))), h("td", {}, e.action), h("td", {}, e.actor), h("td", {}, detail(e))))),
  );
}

function revokeControls(agent: Agent, reload: () => void): HTMLElement {
  const reason = h("input", { type: "text", name: "reason", required: true, maxlength: 500 });
  const dialog = h("dialog", { "aria-labelledby": "revoke-title" });
  const cancel = h("button", { type: "button", "on:click": () => dialog.close() }, "Cancel");
  const form = h(
    "form",
    {
      "on:submit": (event: Event) => {
        event.preventDefault();
        void run("revoke the agent", () => session.clients.registry.revokeAgent({ agentId: agent.id, reason: reason.value })).then((res) => {
          dialog.close();
          if (res === undefined) return;
          announce(`Agent ${agent.id} revoked`);
          reload();
        });
      },
    },
    h("h2", { id: "revoke-title" }, `Revoke ${agent.displayName || agent.id}?`),
    h("p", {}, "Revocation is immediate on every replica and cannot be undone. Credentials and sessions of this agent stop verifying."),
    field("Reason (recorded in the audit log)", reason),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "danger" }, "Revoke agent"), cancel),
  );
  dialog.append(form);
  const open = h("button", { type: "button", class: "danger", "on:click": () => dialog.showModal() }, "Revoke…");
  return h("div", {}, open, dialog);
}

function rotateForm(agent: Agent, reload: () => void): HTMLFormElement {
  const jwk = pasteArea("new-public-jwk", 5);
  const proof = pasteArea("rotation-proof", 4);
  return actionForm(
    "rotate-title",
    "Rotate key",
    () =>
      void run("rotate the key", () => session.clients.registry.rotateAgentKey({ agentId: agent.id, publicJwk: jwk.value.trim(), possessionProof: proof.value.trim() })).then((res) => {
        if (res !== undefined) {
          announce("Key rotated: credentials bound to the old key stop verifying");
          reload();
        }
      }),
    field("New public JWK", jwk),
    field("Possession proof by the new key", proof, `npm run agent -- pop --key <new key file> --aud <issuer URL> --org ${agent.orgId} --agent ${agent.id} --op agent.rotate_key`),
    h("button", { type: "submit" }, "Rotate key"),
  );
}

function capabilitiesForm(agent: Agent, reload: () => void): HTMLFormElement {
  const caps = capabilityFields(agent.capabilities);
  return actionForm(
    "caps-title",
    "Update capabilities",
    () => {
      const capabilities = caps.read();
      if (typeof capabilities === "string") return showAlert(h("p", {}, capabilities));
      void run("update capabilities", () => session.clients.registry.updateCapabilities({ agentId: agent.id, capabilities })).then((res) => {
        if (res !== undefined) {
          announce("Capabilities updated: earlier credentials stop verifying");
          reload();
        }
      });
    },
    ...caps.elements,
    h("button", { type: "submit" }, "Update capabilities"),
  );
}

function pointOf(e: AuditEvent): TrustPoint {
  const d = e.details ?? {};
  return { timeMs: msOf(e.time) ?? 0, success: d["success"] === true, dispute: d["dispute"] === true, slaMet: d["sla_met"] === true };
}

export async function agentDetailView(agentId: string): Promise<void> {
  const got = await run("load the agent", () => session.clients.registry.getAgent({ agentId }));
  const agent = got?.agent;
  if (agent === undefined) return showView(h("h1", {}, "Agent not found"), h("p", {}, h("a", { href: "#/agents" }, "Back to agents")));
  const [trust, audit] = await Promise.all([
    run("load the trust score", () => session.clients.registry.getTrustScore({ agentId })),
    run("load the agent's audit events", () => session.clients.admin.listAuditEvents({ target: agentId, pageSize: 500 })),
  ]);
  const events = audit?.events ?? [];
  const reload = (): void => void agentDetailView(agentId);
  const active = agent.status === AgentStatus.ACTIVE;
  showView(
    h("h1", {}, agent.displayName || agent.id),
    h("p", {}, h("a", { href: `#/agents?org=${encodeURIComponent(agent.orgId)}` }, "Back to agents"), " · ", h("a", { href: `#/audit?target=${encodeURIComponent(agent.id)}` }, "Audit events of this agent")),
    summary(agent),
    active ? revokeControls(agent, reload) : undefined,
    trustSection(trust?.trustScore, events.filter((e) => e.action === "telemetry.reported").slice(0, 100).map(pointOf)),
    h("section", { "aria-labelledby": "creds-title" }, h("h2", { id: "creds-title" }, "Credentials issued"), eventsTable("Credentials issued, newest first", events.filter((e) => e.action === "credential.issued"), (e) => `credential ${String(e.details?.["credential_id"] ?? "")}, key ${String(e.details?.["kid"] ?? "")}, via ${String(e.details?.["via"] ?? "")}`)),
    h("section", { "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "Status history"), eventsTable("Registration, key, capability and status changes, newest first", events.filter((e) => e.action.startsWith("agent.")), (e) => (e.details?.["reason"] !== undefined ? `reason: ${String(e.details["reason"])}` : ""))),
    active ? rotateForm(agent, reload) : undefined,
    active ? capabilitiesForm(agent, reload) : undefined,
  );
}
