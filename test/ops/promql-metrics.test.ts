// Every PromQL expression in the repository (alerts, their unit tests, the Grafana dashboard, README and docs)
// names only series the service exports, with labels they carry and label values the code can produce.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exportedMetrics, type MetricCatalog } from "./exported-metrics.js";
import { readPromql, selectorMentions, TEMPLATE_PLACEHOLDER } from "./promql.js";
import { REPO_ROOT } from "./support.js";

/** strict: an expression Prometheus or Grafana evaluates; doc: prose may name a histogram family and list labels. */
type Kind = "strict" | "doc";
interface Expression {
  readonly where: string;
  readonly text: string;
  readonly kind: Kind;
  /** A mention in free text: only its own selector is read. */
  readonly mention?: true;
}

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");
const METRIC_NAME = /agent_identity_[a-z0-9_]+/;
const LOOKS_LIKE_PROMQL = /agent_identity_[a-z0-9_]+|\bup\{|nodejs_[a-z_]+|process_[a-z_]+_(?:seconds|bytes|fds)/;
const SHELL_BLOCKS = new Set(["sh", "bash", "shell", "console", "powershell", "ps1", "pwsh"]);

function mentionsIn(where: string, text: string, kind: Kind): Expression[] {
  return selectorMentions(text, METRIC_NAME).map((m) => ({ where, text: m, kind, mention: true as const }));
}

function alertExpressions(): Expression[] {
  const rules = parse(read("infra/prometheus-alerts.yml")) as { groups: { rules: { alert: string; expr: string; annotations?: Record<string, string> }[] }[] };
  return rules.groups.flatMap((g) =>
    g.rules.flatMap((r) => [
      { where: `prometheus-alerts.yml ${r.alert}`, text: r.expr, kind: "strict" as const },
      ...Object.values(r.annotations ?? {}).flatMap((a) => mentionsIn(`prometheus-alerts.yml ${r.alert} annotation`, a, "doc")),
    ]),
  );
}

function alertTestExpressions(): Expression[] {
  type AlertTest = { exp_alerts?: { exp_annotations?: Record<string, string> }[] };
  const file = parse(read("infra/prometheus-alerts.test.yml")) as {
    tests: { input_series: { series: string }[]; alert_rule_test?: AlertTest[]; promql_expr_test?: { expr: string }[] }[];
  };
  return file.tests.flatMap((t, i) => [
    ...t.input_series.map((s) => ({ where: `prometheus-alerts.test.yml test ${i + 1} series`, text: s.series, kind: "strict" as const })),
    ...(t.promql_expr_test ?? []).map((e) => ({ where: `prometheus-alerts.test.yml test ${i + 1}`, text: e.expr, kind: "strict" as const })),
    ...(t.alert_rule_test ?? []).flatMap((a) =>
      (a.exp_alerts ?? []).flatMap((e) => Object.values(e.exp_annotations ?? {}).flatMap((v) => mentionsIn(`prometheus-alerts.test.yml test ${i + 1}`, v, "doc"))),
    ),
  ]);
}

interface Panel {
  readonly title: string;
  readonly targets?: { expr?: string }[];
  readonly panels?: Panel[];
}

export function dashboardPanels(): Panel[] {
  const dashboard = JSON.parse(read("infra/grafana/agent-identity.json")) as { panels: Panel[] };
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

function dashboardExpressions(): Expression[] {
  return dashboardPanels().flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `grafana "${p.title}"`, text: t.expr ?? "", kind: "strict" as const })),
  );
}

/** Markdown: code spans and non-shell code blocks that look like PromQL, and metric mentions anywhere outside shell blocks. */
export function markdownExpressions(path: string): Expression[] {
  const out: Expression[] = [];
  const text = read(path);
  const prose: string[] = [];
  for (const [i, part] of text.split(/^[ \t]*```/m).entries()) {
    if (i % 2 === 1) {
      const lang = /^([a-z0-9]*)/.exec(part)![1]!;
      if (SHELL_BLOCKS.has(lang)) continue;
      const body = part.slice(part.indexOf("\n") + 1);
      if (LOOKS_LIKE_PROMQL.test(body)) out.push({ where: `${path} code block`, text: body, kind: "doc" });
      continue;
    }
    prose.push(part);
    for (const span of part.matchAll(/`([^`\n]+)`/g)) {
      const code = span[1]!.replace(/\\\|/g, "|");
      if (LOOKS_LIKE_PROMQL.test(code)) out.push({ where: `${path}: ${code.slice(0, 50)}`, text: code, kind: "doc" });
    }
  }
  out.push(...mentionsIn(`${path} prose`, prose.join("\n").replace(/\\\|/g, "|"), "doc"));
  return out;
}

function markdownFiles(): string[] {
  return ["README.md", ...readdirSync(join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
}

/** Checks one expression against the catalog; returns the problems (empty when it holds). */
export function problemsOf(e: Expression, catalog: MetricCatalog): string[] {
  const problems: string[] = [];
  let uses;
  try {
    uses = readPromql(e.text);
  } catch (err) {
    return [`${e.where}: ${(err as Error).message}`];
  }
  const labelsInExpr = new Set<string>([...catalog.targetLabels]);
  for (const s of uses.selectors) {
    const series = s.metric === undefined ? undefined : catalog.series.get(s.metric);
    if (s.metric === undefined) problems.push(`${e.where}: a selector without a metric name`);
    else if (series === undefined) problems.push(`${e.where}: ${s.metric} is not exported`);
    else if (series.family === true && e.kind === "strict") problems.push(`${e.where}: ${s.metric} is a histogram family; query _bucket, _sum or _count`);
    for (const l of series?.labels ?? []) labelsInExpr.add(l);
    for (const m of s.matchers) {
      if (m.op === "" && e.kind === "strict") problems.push(`${e.where}: ${s.metric}{${m.label}} has no matcher`);
      if (series === undefined) continue;
      if (!series.labels.has(m.label) && !catalog.targetLabels.has(m.label)) {
        problems.push(`${e.where}: ${s.metric} has no label ${m.label}`);
        continue;
      }
      const known = m.label === "job" ? catalog.jobs : series.values.get(m.label);
      if (known === undefined || m.op === "" || m.value === TEMPLATE_PLACEHOLDER) continue;
      const values = m.op.endsWith("~") ? m.value.split("|") : [m.value];
      const plain = values.every((v) => /^[A-Za-z0-9_./:+-]+$/.test(v));
      if (m.op.endsWith("~") && !plain) continue; // a real regular expression: not checkable by value
      for (const v of values) if (!known.has(v)) problems.push(`${e.where}: ${s.metric}{${m.label}${m.op}"${v}"}: the service never sets ${m.label}="${v}"`);
    }
  }
  for (const g of uses.groupingLabels) {
    if (!labelsInExpr.has(g) && g !== "le") problems.push(`${e.where}: grouping label ${g} is on none of the expression's series`);
  }
  if (!e.mention && uses.selectors.length === 0) problems.push(`${e.where}: no metric in ${e.text}`);
  return problems;
}

describe("PromQL in the repository against the metrics the service exports", () => {
  const catalog = exportedMetrics();
  const sources = {
    alerts: alertExpressions(),
    alertTests: alertTestExpressions(),
    dashboard: dashboardExpressions(),
    docs: markdownFiles().flatMap(markdownExpressions),
  };

  it("finds the expressions (sanity of the extraction)", () => {
    expect(sources.alerts.filter((e) => !e.mention)).toHaveLength(7);
    expect(sources.alertTests.length).toBeGreaterThan(10);
    expect(sources.dashboard.length).toBeGreaterThanOrEqual(12);
    const docs = sources.docs.map((e) => e.text).join("\n");
    for (const m of ['agent_identity_verify_total{result="success"}', "agent_identity_replay_denials_total", 'up{job="agent-identity"}']) expect(docs).toContain(m);
    expect(catalog.series.get("agent_identity_verify_total")?.labels).toEqual(new Set(["result", "reason"]));
    expect(catalog.jobs).toEqual(new Set(["agent-identity"]));
  });

  it.each(Object.keys(sources) as (keyof typeof sources)[])("every expression of %s holds", (name) => {
    expect(sources[name].flatMap((e) => problemsOf(e, catalog))).toEqual([]);
  });

  it("the checker refuses an unknown metric, label, label value, job, grouping label and a bare histogram family", () => {
    const check = (text: string, kind: Kind = "strict") => problemsOf({ where: "t", text, kind }, catalog);
    expect(check('sum(rate(agent_identity_verify_total{result="success"}[5m]))')).toEqual([]);
    expect(check("rate(agent_identity_verify_totl[5m])")).toEqual(["t: agent_identity_verify_totl is not exported"]);
    expect(check('agent_identity_verify_total{result="valid"}')[0]).toMatch(/never sets result="valid"/);
    expect(check('agent_identity_admin_auth_total{result=~"jwt|nope"}')[0]).toMatch(/never sets result="nope"/);
    expect(check('agent_identity_verify_total{status="x"}')[0]).toMatch(/has no label status/);
    expect(check('up{job="identity"}')[0]).toMatch(/never sets job="identity"/);
    expect(check("sum by (endpoint) (agent_identity_verify_total)")[0]).toMatch(/grouping label endpoint/);
    expect(check("agent_identity_verify_duration_seconds")[0]).toMatch(/histogram family/);
    expect(check("agent_identity_verify_duration_seconds{result}", "doc")).toEqual([]);
    expect(check('agent_identity_dependency_up{dependency="kafka"}')[0]).toMatch(/never sets dependency="kafka"/);
  });
});
