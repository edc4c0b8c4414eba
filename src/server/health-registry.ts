/** Dependency checks (probed on a timer or pushed) and the serving status they give the server and each service. */
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { VerifierService } from "../../gen/agentidentity/v1/verifier_pb.js";

/** The services health answers for: "" (the whole server) and each of ours by full name. */
export const HEALTH_SERVICES: readonly string[] = ["", AdminService.typeName, AgentRegistryService.typeName, VerifierService.typeName];

export type ServingState = "serving" | "not_serving";

export interface CheckResult {
  readonly ok: boolean;
  /** Why the last check failed (a short, secret-free description). */
  readonly error?: string;
}

export interface Readiness {
  /** Every check that applies to the whole server passes (scoped checks only degrade their services). */
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
  /** Failing checks scoped to some services (e.g. the signer: only the issuing RPCs suffer). */
  readonly degraded: Readonly<Record<string, CheckResult>>;
  /** Conditions that do not make the service unready but that an operator should see (e.g. a replay window). */
  readonly notices: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface ProbeOptions {
  /**
   * The services this check affects (full names); undefined: the whole server. A scoped check failing turns
   * only those services NOT_SERVING and leaves the server ("") and /readyz up, reported as degraded.
   */
  readonly scope?: readonly string[];
  /** How often the probe runs, milliseconds. */
  readonly intervalMs: number;
  /** A probe slower than this counts as failed (default: the smaller of intervalMs and 5 s). */
  readonly timeoutMs?: number;
}

export interface HealthRegistryOptions {
  readonly services?: readonly string[];
  /** Told each check result (app.ts wires it to agent_identity_dependency_up). */
  readonly onCheckResult?: (name: string, ok: boolean) => void;
}

/** What health answers read (gRPC health, /readyz): one process's registry, or the cluster primary's view of its workers. */
export interface HealthView {
  readonly services: readonly string[];
  readonly isShuttingDown: boolean;
  readiness(): Readiness;
  status(service: string): ServingState | undefined;
  subscribe(listener: () => void): () => void;
}

const NOT_YET_CHECKED: CheckResult = { ok: false, error: "not yet checked" };

/**
 * Holds every registered check's last result. The status is `serving` only when every check passes and the
 * server is not shutting down; subscribers hear each change of the overall state.
 */
export class HealthRegistry implements HealthView {
  readonly services: readonly string[];
  private readonly results = new Map<string, CheckResult>();
  private readonly scopes = new Map<string, readonly string[]>();
  private readonly probes = new Map<string, { probe: () => Promise<void>; timeoutMs: number; timer: NodeJS.Timeout }>();
  private readonly listeners = new Set<() => void>();
  private readonly noticeSources = new Map<string, () => Readonly<Record<string, string>> | undefined>();
  private readonly onCheckResult: ((name: string, ok: boolean) => void) | undefined;
  private shuttingDown = false;
  private lastState: string;

  constructor(options: HealthRegistryOptions = {}) {
    this.services = options.services ?? HEALTH_SERVICES;
    this.onCheckResult = options.onCheckResult;
    this.lastState = this.state();
  }

  /** Registers a check whose result is pushed with `report` (starts as failing: not yet checked). */
  declare(name: string, scope?: readonly string[]): void {
    if (this.results.has(name)) throw new Error(`health check ${name} already registered`);
    this.results.set(name, NOT_YET_CHECKED);
    if (scope !== undefined) this.scopes.set(name, scope);
    this.changed();
  }

  /** Registers a probe run now and then every `intervalMs`; a rejection or a timeout marks the check failing. */
  register(name: string, probe: () => Promise<void>, options: ProbeOptions): void {
    this.declare(name, options.scope);
    const timeoutMs = options.timeoutMs ?? Math.min(options.intervalMs, 5_000);
    const timer = setInterval(() => void this.runProbe(name), options.intervalMs);
    timer.unref();
    this.probes.set(name, { probe, timeoutMs, timer });
    void this.runProbe(name);
  }

  /** Pushes a check result. */
  report(name: string, result: CheckResult): void {
    if (!this.results.has(name)) throw new Error(`health check ${name} is not registered`);
    this.results.set(name, result.ok ? { ok: true } : { ok: false, error: result.error ?? "failed" });
    this.onCheckResult?.(name, result.ok);
    this.changed();
  }

  /** Runs every probe once now and waits for the results. */
  async checkNow(): Promise<void> {
    await Promise.all([...this.probes.keys()].map((name) => this.runProbe(name)));
  }

  /** Registers a notice shown in /readyz details while `current` returns something (read at each request). */
  notice(name: string, current: () => Readonly<Record<string, string>> | undefined): void {
    this.noticeSources.set(name, current);
  }

  readiness(): Readiness {
    const checks = Object.fromEntries(this.results);
    const degraded = Object.fromEntries([...this.results].filter(([name, r]) => !r.ok && this.scopes.has(name)));
    const notices: Record<string, Readonly<Record<string, string>>> = {};
    for (const [name, current] of this.noticeSources) {
      const value = current();
      if (value !== undefined) notices[name] = value;
    }
    return { ok: this.passes(""), checks, degraded, notices };
  }

  /** The state of a known service, or undefined for a service health does not answer for. */
  status(service: string): ServingState | undefined {
    if (!this.services.includes(service)) return undefined;
    return this.passes(service) ? "serving" : "not_serving";
  }

  /** Not shutting down and every check that applies to `service` ("" = the server as a whole) passes. */
  private passes(service: string): boolean {
    if (this.shuttingDown) return false;
    for (const [name, result] of this.results) {
      const scope = this.scopes.get(name);
      const applies = scope === undefined || (service !== "" && scope.includes(service));
      if (applies && !result.ok) return false;
    }
    return true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Every service goes not_serving for good; probes stop. */
  setShuttingDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.stopProbes();
    this.lastState = this.state();
    this.notify();
  }

  /** Calls `listener` after each change of the serving state (and on shutdown); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stopProbes(): void {
    for (const p of this.probes.values()) clearInterval(p.timer);
  }

  /** Every service's state in one string, to notice any change. */
  private state(): string {
    return this.services.map((svc) => `${svc}=${this.status(svc) ?? ""}`).join(",");
  }

  private changed(): void {
    const state = this.state();
    if (state === this.lastState) return;
    this.lastState = state;
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private async runProbe(name: string): Promise<void> {
    const entry = this.probes.get(name);
    if (entry === undefined || this.shuttingDown) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${entry.timeoutMs} ms`)), entry.timeoutMs);
    });
    let result: CheckResult;
    try {
      await Promise.race([entry.probe(), timeout]);
      result = { ok: true };
    } catch (e) {
      result = { ok: false, error: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
    if (!this.shuttingDown) this.report(name, result);
  }
}
