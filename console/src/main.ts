/** The console's entry: the hash router, the signed-in header, sign-out; every view lives in views/. */
import { session, whenSignedOut } from "./api.js";
import { announce, byId, showAlert } from "./dom.js";
import { agentDetailView } from "./views/agent-detail.js";
import { agentsView } from "./views/agents.js";
import { auditView } from "./views/audit.js";
import { orgsView } from "./views/orgs.js";
import { signInView } from "./views/signin.js";

let subject = "";
/** Signs out when the admin JWT expires, so an expired session never shows stale views. */
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

function renderHeader(): void {
  const signedIn = session.signedIn;
  byId("nav").hidden = !signedIn;
  byId("who").hidden = !signedIn;
  byId("who-text").textContent = signedIn ? `Signed in as ${subject} until ${new Date(session.expiresAtMs).toISOString().slice(11, 19)} UTC` : "";
  const path = location.hash.split("?")[0] ?? "";
  for (const link of byId("nav").querySelectorAll("a")) {
    const current = path.startsWith(link.getAttribute("href") ?? "-");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/** Parses "#/agents/agt_x?org=org_y" into its path segments and query. */
function parseHash(): { segments: string[]; query: URLSearchParams } {
  const [path = "", query = ""] = location.hash.replace(/^#/, "").split("?");
  return { segments: path.split("/").filter((s) => s !== ""), query: new URLSearchParams(query) };
}

async function route(): Promise<void> {
  renderHeader();
  if (!session.signedIn) {
    signInView((who) => {
      subject = who;
      clearTimeout(expiryTimer);
      expiryTimer = setTimeout(() => signOut("Your session expired: sign in again"), Math.max(0, session.expiresAtMs - Date.now()));
      if (location.hash === "" || location.hash === "#/" || location.hash === "#/signin") location.hash = "#/orgs";
      else void route();
    });
    return;
  }
  const { segments, query } = parseHash();
  const [page, id] = segments;
  if (page === "agents" && id !== undefined) await agentDetailView(id);
  else if (page === "agents") await agentsView(query);
  else if (page === "audit") await auditView(query);
  else if (page === "orgs") await orgsView();
  else location.hash = "#/orgs";
}

function signOut(message: string): void {
  clearTimeout(expiryTimer);
  session.signOut();
  subject = "";
  showAlert();
  announce(message);
  location.hash = "#/signin";
  void route();
}

whenSignedOut((reason) => signOut(reason));
byId("sign-out").addEventListener("click", () => signOut("Signed out"));
window.addEventListener("hashchange", () => void route());
void route();
