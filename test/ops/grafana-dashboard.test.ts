// infra/grafana/agent-identity.json: the SLO panels docs/operations.md names, each a well-formed Grafana panel
// on the dashboard's Prometheus data source (its queries are checked in promql-metrics.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support.js";

interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly datasource: { type: string; uid: string };
}
interface Panel {
  readonly id: number;
  readonly title: string;
  readonly type: string;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly datasource: { type: string; uid: string };
  readonly targets: Target[];
}
interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: { list: { name: string; type: string; query: string }[] };
  readonly panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, "infra", "grafana", "agent-identity.json"), "utf8")) as Dashboard;
const operations = readFileSync(join(REPO_ROOT, "docs", "operations.md"), "utf8");

/** The SLO panels the runbook names, and a word each panel title must carry. */
const REQUIRED_PANELS: Record<string, RegExp> = {
  availability: /^Availability/,
  "verify p99": /Verify p99/,
  "verify success rate": /Verify success rate/,
  "replay denials": /Replay denials/,
  "rate-limit hits": /Rate-limit hits/,
  "admin auth failures": /Admin auth failures/,
  "dependency status": /Dependency status/,
};

describe("the Grafana dashboard", () => {
  it("has a stable uid, a title and the Prometheus data source variable its panels use", () => {
    expect(dashboard.uid).toBe("agent-identity");
    expect(dashboard.title).not.toBe("");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ds = dashboard.templating.list.find((v) => v.type === "datasource");
    expect(ds).toMatchObject({ name: "datasource", query: "prometheus" });
    for (const p of dashboard.panels) {
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      for (const t of p.targets) expect(t.datasource, p.title).toEqual(p.datasource);
    }
  });

  it("carries every SLO panel the runbook names, and the runbook points at the dashboard", () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const [name, title] of Object.entries(REQUIRED_PANELS)) expect(titles.some((t) => title.test(t)), name).toBe(true);
    expect(operations).toContain("infra/grafana/agent-identity.json");
  });

  it("panels have unique ids, one query per refId, and fit the 24-column grid without overlapping", () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size, p.title).toBe(p.targets.length);
      for (const t of p.targets) expect(t.expr.trim(), p.title).not.toBe("");
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let cx = x; cx < x + w; cx++) {
        for (let cy = y; cy < y + h; cy++) {
          expect(cells.has(`${cx},${cy}`), `${p.title} overlaps at ${cx},${cy}`).toBe(false);
          cells.add(`${cx},${cy}`);
        }
      }
    }
  });
});
