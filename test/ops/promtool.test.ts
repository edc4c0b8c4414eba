// promtool checks the alert rules and scrape config, and runs the alert unit tests (infra/prometheus-alerts.test.yml).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support.js";

function promtoolInstalled(): boolean {
  const probe = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  return probe.error === undefined && probe.status === 0;
}

const installed = promtoolInstalled();
if (!installed && process.env.CI === "true") {
  throw new Error("promtool is required when CI=true (apt-get install prometheus); .ci/run installs it");
}

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync("promtool", args, { cwd: REPO_ROOT, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(!installed)("promtool (skipped: promtool not installed (apt-get install prometheus))", () => {
  it("check rules passes on infra/prometheus-alerts.yml", () => {
    const run = promtool("check", "rules", "infra/prometheus-alerts.yml");
    expect(run.output).toContain("SUCCESS: 7 rules found");
    expect(run.status).toBe(0);
  });

  it("check config passes on infra/prometheus.yml (offline; it loads the rule file too)", () => {
    const run = promtool("check", "config", "infra/prometheus.yml");
    expect(run.output).toContain("is valid prometheus config file syntax");
    expect(run.status).toBe(0);
  });

  it("the alert unit tests pass (thresholds per minute, ratios, p99)", () => {
    const run = promtool("test", "rules", "infra/prometheus-alerts.test.yml");
    expect(run.output).toContain("SUCCESS");
    expect(run.status).toBe(0);
  });

  it("rejects a broken rule file (the check can fail)", () => {
    const run = promtool("check", "rules", "test/ops/fixtures/broken-alerts.yml");
    expect(run.status).not.toBe(0);
  });
});
