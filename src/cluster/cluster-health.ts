/**
 * The cluster primary's health view over its workers' reports: a service is SERVING, and /readyz ready, only when
 * every expected worker reports it so (a missing or starting worker makes the replica not ready).
 */
import { HEALTH_SERVICES, type CheckResult, type HealthView, type Readiness, type ServingState } from "../server/health-registry.js";
import type { WorkerHealth } from "./messages.js";

/** The check /readyz shows for the worker count. */
const WORKERS_CHECK = "workers";

export class ClusterHealth implements HealthView {
  readonly services: readonly string[] = HEALTH_SERVICES;
  /** The last report of each live worker, by node:cluster worker id. */
  private readonly reports = new Map<number, WorkerHealth>();
  private readonly listeners = new Set<() => void>();
  private shuttingDown = false;
  private lastState: string;

  constructor(private readonly expected: number) {
    this.lastState = this.state();
  }

  /** A worker's latest report. */
  update(workerId: number, health: WorkerHealth): void {
    this.reports.set(workerId, health);
    this.changed();
  }

  /** A worker exited: it no longer counts. */
  remove(workerId: number): void {
    if (this.reports.delete(workerId)) this.changed();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Every service NOT_SERVING for good (the primary is draining its workers). */
  setShuttingDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.lastState = this.state();
    for (const l of [...this.listeners]) l();
  }

  status(service: string): ServingState | undefined {
    if (!this.services.includes(service)) return undefined;
    if (this.shuttingDown || this.reports.size < this.expected) return "not_serving";
    return [...this.reports.values()].every((r) => r.statuses[service] === "serving") ? "serving" : "not_serving";
  }

  readiness(): Readiness {
    const reports = [...this.reports.values()];
    const running = reports.length;
    const checks: Record<string, CheckResult> = {
      [WORKERS_CHECK]: running >= this.expected ? { ok: true } : { ok: false, error: `${running} of ${this.expected} workers serving` },
    };
    const degraded: Record<string, CheckResult> = {};
    const notices: Record<string, Readonly<Record<string, string>>> = {};
    for (const report of reports) {
      mergeChecks(checks, report.readiness.checks);
      mergeChecks(degraded, report.readiness.degraded);
      Object.assign(notices, report.readiness.notices);
    }
    const ok = !this.shuttingDown && running >= this.expected && reports.every((r) => r.readiness.ok);
    return { ok, checks, degraded, notices };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private state(): string {
    return this.services.map((s) => `${s}=${this.status(s) ?? ""}`).join(",");
  }

  private changed(): void {
    const state = this.state();
    if (state === this.lastState) return;
    this.lastState = state;
    for (const l of [...this.listeners]) l();
  }
}

/** A check passes only when it passes in every worker; the first failure's error is kept. */
function mergeChecks(into: Record<string, CheckResult>, from: Readonly<Record<string, CheckResult>>): void {
  for (const [name, result] of Object.entries(from)) {
    const seen = into[name];
    if (seen === undefined || (seen.ok && !result.ok)) into[name] = result;
  }
}
