/** Agents: list with status and trust score, filter by organisation, status and name, register a new agent. */
import type { Agent, Org } from "../../../src/client/web/index.js";
import { AgentStatus } from "../../../src/client/web/index.js";
import { msOf, run, session } from "../api.js";
import { announce, field, h, showAlert, showView, timeEl } from "../dom.js";
import { actionForm, capabilityFields, pasteArea } from "./agent-forms.js";
import { loadOrgs } from "./orgs.js";

export const STATUS_NAMES: Readonly<Record<number, string>> = {
  [AgentStatus.ACTIVE]: "active",
  [AgentStatus.REVOKED]: "revoked",
};

function orgSelect(orgs: readonly Org[], selected: string, allowAll: boolean): HTMLSelectElement {
  return h(
    "select",
    { name: "org" },
    allowAll ? h("option", { value: "" }, "All organisations") : undefined,
    ...orgs.map((o) => h("option", { value: o.id, selected: o.id === selected }, `${o.name} (${o.id})`)),
  );
}

function statusBadge(status: AgentStatus): HTMLElement {
  const name = STATUS_NAMES[status] ?? "unknown";
  return h("span", { class: `badge badge-${name}` }, name);
}

async function agentRow(agent: Agent, orgName: string): Promise<HTMLTableRowElement> {
  const trust = h("td", {}, "…");
  const row = h(
    "tr",
    {},
    h("td", {}, h("a", { href: `#/agents/${encodeURIComponent(agent.id)}` }, agent.displayName || agent.id)),
    h("td", {}, h("code", {}, agent.id)),
    h("td", {}, orgName),
    h("td", {}, statusBadge(agent.status)),
    trust,
    h("td", {}, timeEl(msOf(agent.createTime))),
  );
  const res = await session.clients.registry.getTrustScore({ agentId: agent.id }).catch(() => undefined);
  trust.textContent = res?.trustScore === undefined ? "unavailable" : `${res.trustScore.score.toFixed(1)} / 100`;
  return row;
}

function registerForm(orgs: readonly Org[], selectedOrg: string): HTMLFormElement {
  const org = orgSelect(orgs, selectedOrg, false);
  const name = h("input", { type: "text", name: "display-name", required: true, maxlength: 200 });
  const jwk = pasteArea("public-jwk", 5);
  const proof = pasteArea("possession-proof", 4);
  const caps = capabilityFields();
  return actionForm(
    "register-title",
    "Register an agent",
    () => {
      const capabilities = caps.read();
      if (typeof capabilities === "string") {
        showAlert(h("p", {}, capabilities));
        return;
      }
      const request = { orgId: org.value, displayName: name.value, publicJwk: jwk.value.trim(), possessionProof: proof.value.trim(), capabilities };
      void run("register the agent", () => session.clients.registry.registerAgent(request)).then((res) => {
        if (res?.agent === undefined) return;
        announce(`Agent ${res.agent.displayName} registered (${res.agent.id})`);
        location.hash = `#/agents/${encodeURIComponent(res.agent.id)}`;
      });
    },
    field("Organisation", org),
    field("Display name", name),
    field("Public JWK", jwk, "The agent's public key (Ed25519 or P-256), e.g. from npm run agent -- keygen. Never a private key."),
    field("Possession proof", proof, "npm run agent -- pop --key <file> --aud <issuer URL> --org <organisation id>"),
    ...caps.elements,
    h("button", { type: "submit" }, "Register"),
  );
}

export async function agentsView(query: URLSearchParams): Promise<void> {
  const orgs = (await loadOrgs()) ?? [];
  const orgNames = new Map(orgs.map((o) => [o.id, o.name]));
  const selectedOrg = query.get("org") ?? "";
  const org = orgSelect(orgs, selectedOrg, true);
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "0" }, "Any status"),
    ...Object.entries(STATUS_NAMES).map(([v, label]) => h("option", { value: v, selected: query.get("status") === v }, label)),
  );
  const name = h("input", { type: "search", name: "name", value: query.get("name") ?? "", autocomplete: "off" });
  const filters = h(
    "form",
    {
      class: "inline",
      role: "search",
      "aria-label": "Filter agents",
      "on:submit": (event: Event) => {
        event.preventDefault();
        const q = new URLSearchParams({ org: org.value, status: status.value, name: name.value.trim() });
        location.hash = `#/agents?${q.toString()}`;
      },
    },
    field("Organisation", org),
    field("Status", status),
    field("Name contains", name),
    h("button", { type: "submit" }, "Apply filters"),
  );
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, "Load more agents");
  const table = h(
    "table",
    {},
    h("caption", {}, "Agents, oldest first"),
    h("thead", {}, h("tr", {}, ...["Name", "ID", "Organisation", "Status", "Trust score", "Created"].map((c) => h("th", { scope: "col" }, c)))),
    body,
  );
  showView(h("h1", {}, "Agents"), filters, table, more, registerForm(orgs, selectedOrg || (orgs[0]?.id ?? "")));

  const needle = (query.get("name") ?? "").toLowerCase();
  let pageToken = "";
  const loadPage = async (): Promise<void> => {
    more.hidden = true;
    const request = { orgId: selectedOrg, status: Number(query.get("status") ?? "0"), pageSize: 50, pageToken };
    const page = await run("list agents", () => session.clients.registry.listAgents(request));
    if (page === undefined) return;
    const shown = page.agents.filter((a) => needle === "" || a.displayName.toLowerCase().includes(needle));
    body.append(...(await Promise.all(shown.map((a) => agentRow(a, orgNames.get(a.orgId) ?? a.orgId)))));
    pageToken = page.nextPageToken;
    more.hidden = pageToken === "";
    if (body.childElementCount === 0) body.append(h("tr", {}, h("td", { colspan: 6 }, "No agents match.")));
  };
  more.addEventListener("click", () => void loadPage());
  await loadPage();
}
