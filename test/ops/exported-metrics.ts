/**
 * What the service really exports, for the PromQL consistency test: every series name and its label names from
 * the metric registry (createMetrics), the labels Prometheus adds (infra/prometheus.yml), and the label values
 * the code can produce, where the code enumerates them.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { Histogram } from "prom-client";
import { parse } from "yaml";
import { REASON_CODES } from "../../src/domain/verify/reasons.js";
import { codeLabel } from "../../src/server/interceptors/metrics.js";
import { endpointLabel } from "../../src/server/interceptors/rate-limit.js";
import { AUTHORIZATION_TABLE } from "../../src/server/authorization-table.js";
import { ADMIN_AUTH_RESULTS, createMetrics, createPrimaryMetrics, VERIFY_RESULTS } from "../../src/telemetry/metrics.js";
import { REPO_ROOT } from "./support.js";

export interface ExportedSeries {
  readonly labels: ReadonlySet<string>;
  /** A histogram's family name (…_seconds): named in prose, never itself a queryable series. */
  readonly family?: true;
  /** Known values per label; a label missing here has values the test cannot enumerate. */
  readonly values: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface MetricCatalog {
  readonly series: ReadonlyMap<string, ExportedSeries>;
  /** Labels Prometheus attaches to every scraped series (job, instance, static target labels). */
  readonly targetLabels: ReadonlySet<string>;
  readonly jobs: ReadonlySet<string>;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith(".ts") ? [path] : [];
  });
}

/** The error kinds (src/domain/errors.ts's ErrorKind union): the `reason` of a Verify call without a decision. */
export function errorKinds(): string[] {
  const text = readFileSync(join(REPO_ROOT, "src", "domain", "errors.ts"), "utf8");
  const union = /export type ErrorKind =([^;]+);/.exec(text)?.[1] ?? "";
  return [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]!);
}

/** Dependency names the health registry checks: `health.register("name"` / `health.declare("name"` in src/. */
export function dependencyNames(): string[] {
  const names = new Set<string>();
  for (const file of sourceFiles(join(REPO_ROOT, "src"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/health\.(?:register|declare)\(\s*"([a-z_]+)"/g)) names.add(m[1]!);
  }
  return [...names];
}

function prometheusTargets(): { labels: Set<string>; jobs: Set<string> } {
  const config = parse(readFileSync(join(REPO_ROOT, "infra", "prometheus.yml"), "utf8")) as {
    scrape_configs: { job_name: string; static_configs?: { labels?: Record<string, string> }[] }[];
  };
  const labels = new Set(["job", "instance"]);
  const jobs = new Set<string>();
  for (const scrape of config.scrape_configs) {
    jobs.add(scrape.job_name);
    for (const target of scrape.static_configs ?? []) for (const name of Object.keys(target.labels ?? {})) labels.add(name);
  }
  return { labels, jobs };
}

/** Label values the code enumerates, by label name, for the agent_identity_* metrics that carry them. */
function knownValues(metric: string): Map<string, Set<string>> {
  const methods = [...AUTHORIZATION_TABLE.keys()];
  const codes = Object.values(Code)
    .filter((c): c is Code => typeof c === "number")
    .map((c) => codeLabel(new ConnectError("", c)));
  const byMetric: Record<string, Record<string, readonly string[]>> = {
    agent_identity_verify_total: { result: VERIFY_RESULTS, reason: [...REASON_CODES, ...errorKinds()] },
    agent_identity_verify_duration_seconds: { result: VERIFY_RESULTS },
    agent_identity_admin_auth_total: { result: ADMIN_AUTH_RESULTS },
    agent_identity_rpc_total: { method: methods, code: [...codes, "ok"] },
    agent_identity_rpc_duration_seconds: { method: methods, code: [...codes, "ok"] },
    agent_identity_rate_limit_hits_total: { endpoint: ["verify", "verify_handshake", ...methods.map(endpointLabel)] },
    agent_identity_dependency_up: { dependency: dependencyNames() },
  };
  return new Map(Object.entries(byMetric[metric] ?? {}).map(([label, values]) => [label, new Set(values)]));
}

/**
 * Builds the catalog from fresh registries (process metrics included, as the service serves them): a worker's
 * and, with WORKERS > 1, the cluster primary's own, merged into the same scrape.
 */
export function exportedMetrics(): MetricCatalog {
  const { registry } = createMetrics({ processMetrics: true });
  const primary = createPrimaryMetrics().registry;
  const series = new Map<string, ExportedSeries>();
  for (const metric of [...registry.getMetricsAsArray(), ...primary.getMetricsAsArray()]) {
    const { name, labelNames } = metric as unknown as { name: string; labelNames: readonly string[] };
    const values = knownValues(name);
    const labels = new Set(labelNames);
    if (metric instanceof Histogram) {
      series.set(name, { labels, values, family: true });
      series.set(`${name}_bucket`, { labels: new Set([...labels, "le"]), values });
      series.set(`${name}_sum`, { labels, values });
      series.set(`${name}_count`, { labels, values });
    } else {
      series.set(name, { labels, values });
    }
  }
  const targets = prometheusTargets();
  // Prometheus's own per-target series.
  series.set("up", { labels: new Set(), values: new Map() });
  return { series, targetLabels: targets.labels, jobs: targets.jobs };
}
