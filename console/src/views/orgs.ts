/** Organisations: list (paged), filter the loaded rows by name or id, create. */
import type { Org } from "../../../src/client/web/index.js";
import { OrgTier } from "../../../src/client/web/index.js";
import { msOf, run, session } from "../api.js";
import { announce, field, h, showView, timeEl } from "../dom.js";

export const TIER_NAMES: Readonly<Record<number, string>> = {
  [OrgTier.UNVERIFIED]: "unverified",
  [OrgTier.VERIFIED]: "verified",
  [OrgTier.ENTERPRISE]: "enterprise",
};

/** Every organisation (pages of 200 until the end or 2000 rows): the console's org pickers and the orgs table. */
export async function loadOrgs(): Promise<Org[] | undefined> {
  const orgs: Org[] = [];
  let pageToken = "";
  do {
    const page = await run("list organisations", () => session.clients.admin.listOrgs({ pageSize: 200, pageToken }));
    if (page === undefined) return undefined;
    orgs.push(...page.orgs);
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && orgs.length < 2000);
  return orgs;
}

function orgRow(org: Org): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("td", {}, org.name),
    h("td", {}, h("code", {}, org.id)),
    h("td", {}, TIER_NAMES[org.tier] ?? "unspecified"),
    h("td", {}, timeEl(msOf(org.createTime))),
    h("td", {}, h("a", { href: `#/agents?org=${encodeURIComponent(org.id)}` }, "Agents", h("span", { class: "sr-only" }, ` of ${org.name}`))),
  );
}

function createForm(onCreated: (org: Org) => void): HTMLFormElement {
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 200 });
  const tier = h(
    "select",
    { name: "tier" },
    ...Object.entries(TIER_NAMES).map(([value, label]) => h("option", { value, selected: Number(value) === OrgTier.UNVERIFIED }, label)),
  );
  return h(
    "form",
    {
      class: "inline",
      "aria-labelledby": "create-org-title",
      "on:submit": (event: Event) => {
        event.preventDefault();
        void run("create the organisation", () => session.clients.admin.createOrg({ name: name.value, tier: Number(tier.value) })).then((res) => {
          if (res?.org === undefined) return;
          announce(`Organisation ${res.org.name} created (${res.org.id})`);
          name.value = "";
          onCreated(res.org);
        });
      },
    },
    h("h2", { id: "create-org-title" }, "Create an organisation"),
    field("Name", name),
    field("Tier", tier),
    h("button", { type: "submit" }, "Create"),
  );
}

export async function orgsView(): Promise<void> {
  const body = h("tbody");
  const filter = h("input", { type: "search", name: "filter", autocomplete: "off" });
  const count = h("p", { class: "count", "aria-live": "polite" });
  let orgs: Org[] = [];
  const render = (): void => {
    const q = filter.value.trim().toLowerCase();
    const shown = orgs.filter((o) => q === "" || o.name.toLowerCase().includes(q) || o.id.includes(q));
    body.replaceChildren(...shown.map(orgRow));
    count.textContent = `${shown.length} of ${orgs.length} organisations`;
  };
  filter.addEventListener("input", render);
  const table = h(
    "table",
    {},
    h("caption", {}, "Organisations, oldest first"),
    h("thead", {}, h("tr", {}, ...["Name", "ID", "Tier", "Created", "Agents"].map((c) => h("th", { scope: "col" }, c)))),
    body,
  );
  showView(
    h("h1", {}, "Organisations"),
    createForm((org) => {
      orgs = [...orgs, org];
      render();
    }),
    h("h2", {}, "All organisations"),
    field("Filter by name or ID", filter),
    count,
    table,
  );
  orgs = (await loadOrgs()) ?? [];
  render();
}
