/** The audit log: events paged (newest first) and filtered by action, agent and time; export and verify. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ListAuditEventsRequestSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import type { AuditEvent } from "../../../src/client/web/index.js";
import { msOf, run, session } from "../api.js";
import { field, h, showView, timeEl } from "../dom.js";
import { exportSection } from "./audit-export.js";

const ACTIONS = [
  "admin.token_issued",
  "admin.token_refused",
  "org.created",
  "agent.registered",
  "agent.revoked",
  "agent.key_rotated",
  "agent.capabilities_updated",
  "credential.issued",
  "telemetry.reported",
  "verify.decision",
  "handshake.decision",
];

/** "2026-01-02T03:04" (datetime-local, read as UTC) -> epoch ms; "" -> undefined. */
function utcMs(value: string): number | undefined {
  if (value === "") return undefined;
  const ms = Date.parse(`${value}:00Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

function eventRow(e: AuditEvent): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("td", {}, String(e.seq)),
    h("td", {}, timeEl(msOf(e.time))),
    h("td", {}, e.action),
    h("td", {}, e.target.startsWith("agt_") ? h("a", { href: `#/agents/${encodeURIComponent(e.target)}` }, e.target) : e.target),
    h("td", {}, e.actor),
    h("td", {}, h("details", {}, h("summary", {}, "Details"), h("pre", {}, JSON.stringify(e.details ?? {}, null, 2)), h("p", {}, "hash ", h("code", {}, e.hash)))),
  );
}

function filterForm(query: URLSearchParams): HTMLFormElement {
  const action = h("select", { name: "action" }, h("option", { value: "" }, "Any action"), ...ACTIONS.map((a) => h("option", { value: a, selected: query.get("action") === a }, a)));
  const target = h("input", { type: "text", name: "agent", value: query.get("target") ?? "", placeholder: "agt_…", autocomplete: "off" });
  const from = h("input", { type: "datetime-local", name: "from", value: query.get("from") ?? "" });
  const to = h("input", { type: "datetime-local", name: "to", value: query.get("to") ?? "" });
  return h(
    "form",
    {
      class: "inline",
      role: "search",
      "aria-label": "Filter audit events",
      "on:submit": (event: Event) => {
        event.preventDefault();
        const q = new URLSearchParams({ action: action.value, target: target.value.trim(), from: from.value, to: to.value });
        location.hash = `#/audit?${q.toString()}`;
      },
    },
    field("Action", action),
    field("Agent", target, "An agent id: its registration, credentials, revocation, telemetry, decisions"),
    field("From (UTC)", from),
    field("To (UTC, exclusive)", to),
    h("button", { type: "submit" }, "Apply filters"),
  );
}

/** The ListAuditEvents request for the filters in the URL. */
function requestFor(query: URLSearchParams, pageToken: string): MessageInitShape<typeof ListAuditEventsRequestSchema> {
  const startMs = utcMs(query.get("from") ?? "");
  const endMs = utcMs(query.get("to") ?? "");
  return {
    pageSize: 25,
    pageToken,
    action: query.get("action") ?? "",
    target: query.get("target") ?? "",
    ...(startMs === undefined ? {} : { startTime: timestampFromMs(startMs) }),
    ...(endMs === undefined ? {} : { endTime: timestampFromMs(endMs) }),
  };
}

export async function auditView(query: URLSearchParams): Promise<void> {
  const body = h("tbody");
  const pageInfo = h("p", { class: "count", "aria-live": "polite" });
  const next = h("button", { type: "button", hidden: true }, "Next page");
  const first = h("button", { type: "button", hidden: true }, "First page");
  showView(
    h("h1", {}, "Audit log"),
    filterForm(query),
    h(
      "table",
      {},
      h("caption", {}, "Audit events, newest first"),
      h("thead", {}, h("tr", {}, ...["Seq", "Time", "Action", "Target", "Actor", "Details"].map((c) => h("th", { scope: "col" }, c)))),
      body,
    ),
    pageInfo,
    h("div", { class: "buttons" }, first, next),
    exportSection(),
  );
  let page = 0;
  let tokens: string[] = [""];
  const load = async (): Promise<void> => {
    const res = await run("list audit events", () => session.clients.admin.listAuditEvents(requestFor(query, tokens[page] ?? "")));
    if (res === undefined) return;
    body.replaceChildren(...res.events.map(eventRow));
    if (res.events.length === 0) body.append(h("tr", {}, h("td", { colspan: 6 }, "No events match.")));
    tokens = [...tokens.slice(0, page + 1), res.nextPageToken];
    next.hidden = res.nextPageToken === "";
    first.hidden = page === 0;
    pageInfo.textContent = `Page ${page + 1}: ${res.events.length} events`;
  };
  next.addEventListener("click", () => {
    page++;
    void load();
  });
  first.addEventListener("click", () => {
    page = 0;
    void load();
  });
  await load();
}
