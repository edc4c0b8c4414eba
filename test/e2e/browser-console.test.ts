/**
 * The operator console end to end in headless Chromium: sign in, create an org, register an agent, see its trust
 * score and chart, revoke it, see the revoked status and the audit events, export and verify the audit in the page,
 * sign out and find nothing left in storage. Screenshots of each main view go to test-results/browser-console/.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditVerify } from "../../src/cli/audit-verify.js";
import { startTestApp, type TestApp } from "../support/app-harness.js";
import { newAgentKey } from "../support/agents.js";
import { databaseTargets } from "../support/databases.js";
import { ARTIFACT_DIR, browserTestsRun, buildConsole, CHROMIUM_PATH, launchChromium, type Browser } from "./browser-support.js";

const run = browserTestsRun();

describe.skipIf(!run)(`operator console in headless Chromium (${CHROMIUM_PATH})`, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    buildConsole();
    // Checkpoints every second, so the export carries signed checkpoints the page checks with jose.
    t = await startTestApp({ database: databaseTargets()[0]!, env: { AUDIT_CHECKPOINT_INTERVAL_SECONDS: "1" } });
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(10_000);
    // Any CSP violation, script error or failed request shows up here.
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Saves the view's screenshot, and checks every form control on it has a label (accessible name). */
  const shot = async (name: string) => {
    await page.screenshot({ path: join(ARTIFACT_DIR, `${name}.png`), fullPage: true });
    const unlabelled = await page.evaluate(() => {
      type Control = { labels: { length: number } | null; getAttribute(n: string): string | null; outerHTML: string };
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Control> } }).document;
      return [...doc.querySelectorAll("input, select, textarea")].filter((c) => (c.labels?.length ?? 0) === 0 && c.getAttribute("aria-label") === null).map((c) => c.outerHTML);
    });
    expect(unlabelled, `unlabelled controls on ${name}`).toEqual([]);
  };
  const heading = (name: string) => page.getByRole("heading", { level: 1, name });

  it("runs an operator's session from sign-in to sign-out", async () => {
    const base = `https://localhost:${t.app.server.browserPort}`;
    await page.goto(`${base}/console/`);
    await heading("Sign in").waitFor();
    await shot("1-sign-in");

    // A wrong key is refused with a readable message and its code.
    await page.getByLabel("Admin API key").fill("not-the-admin-key-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("admin.key_invalid");
    // The refused exchange is the only expected failed request (Chromium logs it).
    expect(problems.filter((p) => !p.includes("status of 401"))).toEqual([]);
    problems.length = 0;

    // Keyboard only: the key field has focus again after the refusal; Enter submits.
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe(
      await page.getByLabel("Admin API key").getAttribute("id"),
    );
    await page.keyboard.type(t.adminApiKey);
    await page.keyboard.press("Enter");
    await heading("Organisations").waitFor();

    // Organisations: create, then filter.
    await page.getByLabel("Name", { exact: true }).fill("Acme console e2e");
    await page.getByLabel("Tier").selectOption({ label: "verified" });
    await page.getByRole("button", { name: "Create" }).click();
    const orgRow = page.getByRole("row", { name: /Acme console e2e/ });
    await orgRow.waitFor();
    const orgId = (await orgRow.locator("code").textContent())!;
    expect(orgId).toMatch(/^org_/);
    await page.getByLabel("Filter by name or ID").fill("no such org");
    await expect.poll(() => orgRow.count()).toBe(0);
    await page.getByLabel("Filter by name or ID").fill("acme console");
    await orgRow.waitFor();
    await shot("2-organisations");

    // Register an agent from a public JWK and a possession proof made by the agent's own key.
    const audience = t.config.issuer.issuerUrl;
    const { client: key } = await newAgentKey(audience);
    const proof = await key.makePossessionProof({ op: "agent.register", audience, orgId });
    await page.getByRole("link", { name: "Agents", exact: true }).first().click();
    await heading("Agents").waitFor();
    const register = page.getByRole("form", { name: "Register an agent" });
    await register.getByLabel("Organisation").selectOption(orgId);
    await register.getByLabel("Display name").fill("billing bot");
    await register.getByLabel("Public JWK").fill(JSON.stringify(key.publicJwk));
    await register.getByLabel("Possession proof").fill(proof);
    await register.getByLabel("Scopes").fill("payments:write");
    await register.getByLabel("Operations").fill("payment.create");
    await register.getByLabel("Amount limits").fill("EUR:10000");
    await register.getByRole("button", { name: "Register" }).click();
    await heading("billing bot").waitFor();
    const agentId = page.url().split("#/agents/")[1]!;
    expect(agentId).toMatch(/^agt_/);
    await expect.poll(() => page.locator("#trust-score").textContent()).toMatch(/^\d{1,3}\.\d$/);
    await expect.poll(() => page.locator("#agent-status").textContent()).toBe("active");

    // Trust events (reported by an admin over mTLS) show up in the chart.
    const { registry } = await t.adminClients();
    for (const [success, dispute] of [[true, false], [true, false], [false, false], [true, true]] as const) {
      await registry.reportTelemetry({ agentId, eventType: "payment.completed", success, slaMet: success, dispute, latencyMs: 80 });
    }
    await page.getByRole("link", { name: "Agents", exact: true }).first().click();
    await page.getByRole("link", { name: "billing bot" }).click();
    await heading("billing bot").waitFor();
    await expect.poll(() => page.locator("svg.chart circle, svg.chart path.pt-dispute").count()).toBe(4);
    expect(await page.getByRole("table", { name: /Factor breakdown/ }).getByRole("row").count()).toBeGreaterThan(1);
    await shot("3-agent-detail");

    // Rotate the key (possession proof by the new key) and widen the capabilities.
    const thumbprint = () => page.getByRole("definition").filter({ has: page.locator("code") }).nth(2).textContent();
    const before = await thumbprint();
    const { client: newKey } = await newAgentKey(audience);
    const rotation = await newKey.makePossessionProof({ op: "agent.rotate_key", audience, orgId, agentId });
    const rotate = page.getByRole("form", { name: "Rotate key" });
    await rotate.getByLabel("New public JWK").fill(JSON.stringify(newKey.publicJwk));
    await rotate.getByLabel("Possession proof by the new key").fill(rotation);
    await rotate.getByRole("button", { name: "Rotate key" }).click();
    await expect.poll(thumbprint).toBe(newKey.thumbprint);
    expect(before).not.toBe(newKey.thumbprint);
    const caps = page.getByRole("form", { name: "Update capabilities" });
    await caps.getByLabel("Scopes").fill("payments:write payments:read");
    await caps.getByRole("button", { name: "Update capabilities" }).click();
    const scopes = () => page.locator("dt:text-is('Scopes') + dd").textContent();
    await expect.poll(async () => `${await scopes()} ${await page.locator("#alert").textContent()}`).toMatch(/^payments:read, payments:write $|^payments:write, payments:read $/);
    await page.getByRole("cell", { name: "agent.key_rotated" }).waitFor();

    // Revoke after the confirmation step.
    await page.getByRole("button", { name: "Revoke…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/Reason/).fill("key leaked in a console e2e test");
    await dialog.getByRole("button", { name: "Revoke agent" }).click();
    await expect.poll(() => page.locator("#agent-status").textContent()).toBe("revoked");
    await page.getByText("key leaked in a console e2e test").first().waitFor();

    // The audit log, filtered by this agent.
    await page.getByRole("link", { name: "Audit events of this agent" }).click();
    await heading("Audit log").waitFor();
    await page.getByRole("cell", { name: "agent.revoked" }).waitFor();
    await page.getByRole("cell", { name: "agent.registered" }).waitFor();
    await page.getByLabel("Action").selectOption("telemetry.reported");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => page.getByRole("cell", { name: "telemetry.reported" }).count()).toBe(4);
    await shot("4-audit");

    // Export, verify in the page, and cross-check the downloaded file with npm run audit:verify's code.
    await page.getByRole("button", { name: "Export and verify" }).click();
    await expect.poll(() => page.locator("#verify-result").textContent(), { timeout: 15_000 }).toMatch(/Export verified in this browser: OK seq 1\.\.\d+ \(\d+ events, [1-9]\d* signed checkpoints verified\)/);
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#export-link").click()]);
    const file = join(ARTIFACT_DIR, "audit-export.jsonl");
    await download.saveAs(file);
    expect((await auditVerify(["--jwks", `http://127.0.0.1:${t.app.server.sidecarPort}/.well-known/jwks.json`, file])).exitCode).toBe(0);
    // A tampered file is caught in the page, naming the broken link.
    const tampered = readFileSync(file, "utf8").replace("key leaked in a console e2e test", "nothing to see here");
    writeFileSync(join(ARTIFACT_DIR, "audit-export-tampered.jsonl"), tampered);
    await page.getByLabel("Verify an export file").setInputFiles(join(ARTIFACT_DIR, "audit-export-tampered.jsonl"));
    await expect.poll(() => page.locator("#verify-result").textContent()).toMatch(/audit-export-tampered\.jsonl: BROKEN at seq \d+: canonical bytes/);
    await shot("5-audit-verified");

    // Sign out: nothing left in any storage, and the views need a new sign-in, also after a reload.
    await page.getByRole("button", { name: "Sign out" }).click();
    await heading("Sign in").waitFor();
    const storage = await page.evaluate(async () => {
      // The page's globals (this file is type-checked without the DOM library).
      const w = globalThis as unknown as {
        localStorage: { length: number };
        sessionStorage: { length: number };
        document: { cookie: string };
        indexedDB: { databases(): Promise<unknown[]> };
        caches: { keys(): Promise<unknown[]> };
      };
      return {
        local: w.localStorage.length,
        session: w.sessionStorage.length,
        cookie: w.document.cookie,
        databases: (await w.indexedDB.databases()).length,
        caches: (await w.caches.keys()).length,
      };
    });
    expect(storage).toEqual({ local: 0, session: 0, cookie: "", databases: 0, caches: 0 });
    expect(await browser.context.cookies()).toEqual([]);
    await page.goto(`${base}/console/#/orgs`);
    await heading("Sign in").waitFor();
    expect(problems).toEqual([]);
  }, 90_000);

  it("a registry read is refused without a token from the page (readable code)", async () => {
    const status = await page.evaluate(async () => {
      const res = await fetch("/agentidentity.v1.AgentRegistryService/ListAgents", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return { status: res.status, code: res.headers.get("x-error-code") };
    });
    expect(status).toEqual({ status: 401, code: "admin.token_missing" });
  });
});
