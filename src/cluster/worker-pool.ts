/** The primary's worker processes: forks WORKERS of them, replaces one that exits (with back-off), stops them all. */
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../telemetry/logger.js";
import type { PrimaryMetrics } from "../telemetry/metrics.js";
import type { ClusterHealth } from "./cluster-health.js";
import { isWorkerMessage, type WorkerMessage } from "./messages.js";
import { RestartPolicy } from "./restart-policy.js";
import type { WorkerQueries } from "./worker-queries.js";

/** A stopping worker that has not exited this long after the drain deadline is killed. */
const KILL_GRACE_MS = 5_000;

export interface WorkerPoolOptions {
  readonly count: number;
  readonly logger: Logger;
  readonly health: ClusterHealth;
  readonly queries: WorkerQueries;
  readonly metrics: PrimaryMetrics;
}

/** The shared ports the workers listen on (port 0 in the config: the one the first worker got). */
export interface ListeningPorts {
  readonly grpcPort: number;
  readonly browserPort: number | undefined;
}

interface Exit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** One of the WORKERS places; its worker process changes when one is replaced. */
interface Slot {
  readonly index: number;
  readonly policy: RestartPolicy;
  worker: Worker | undefined;
  exited: Promise<Exit> | undefined;
  startedAtMs: number;
  listening: boolean;
  restartTimer: NodeJS.Timeout | undefined;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private stopping = false;
  private started = false;
  private ports: ListeningPorts | undefined;
  private startWaiter: { resolve: (ports: ListeningPorts) => void; reject: (e: Error) => void } | undefined;
  private nextQuery = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    this.slots = Array.from({ length: options.count }, (_, index) => ({
      index,
      policy: new RestartPolicy(),
      worker: undefined,
      exited: undefined,
      startedAtMs: 0,
      listening: false,
      restartTimer: undefined,
    }));
  }

  /** Forks every worker; resolves once all listen, rejects when one exits before (a start-up failure). */
  start(): Promise<ListeningPorts> {
    return new Promise((resolve, reject) => {
      this.startWaiter = { resolve, reject };
      for (const slot of this.slots) this.fork(slot);
    });
  }

  /** The workers serving now, in turn from a rotating start (spreads the JWKS questions). */
  listeningWorkers(): Worker[] {
    const ready = this.slots.filter((s) => s.listening && s.worker !== undefined).map((s) => s.worker as Worker);
    const shift = ready.length === 0 ? 0 : this.nextQuery++ % ready.length;
    return [...ready.slice(shift), ...ready.slice(0, shift)];
  }

  /** SIGTERM to every worker (each drains with its own deadline); resolves true when all exited with code 0. */
  async stop(deadlineMs: number): Promise<boolean> {
    this.stopping = true;
    const running = this.slots.filter((s) => s.worker !== undefined && s.exited !== undefined);
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    for (const slot of running) slot.worker?.process.kill("SIGTERM");
    const killer = setTimeout(() => {
      for (const slot of running) slot.worker?.process.kill("SIGKILL");
    }, deadlineMs + KILL_GRACE_MS);
    const exits = await Promise.all(running.map((s) => s.exited as Promise<Exit>));
    clearTimeout(killer);
    return exits.every((e) => e.code === 0);
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.startedAtMs = Date.now();
    slot.listening = false;
    slot.exited = new Promise((resolve) => {
      worker.once("exit", (code: number | null, signal: string | null) => {
        this.onExit(slot, worker, { code, signal });
        resolve({ code, signal });
      });
    });
    worker.on("message", (message: unknown) => {
      if (isWorkerMessage(message)) this.onMessage(slot, worker, message);
    });
    this.options.logger.info({ worker: slot.index, pid: worker.process.pid }, "worker started");
  }

  private onMessage(slot: Slot, worker: Worker, message: WorkerMessage): void {
    switch (message.aid) {
      case "listening":
        slot.listening = true;
        this.ports ??= { grpcPort: message.grpcPort, browserPort: message.browserPort };
        this.countRunning();
        this.options.logger.info({ worker: slot.index, pid: worker.process.pid }, "worker serving");
        if (!this.started && this.slots.every((s) => s.listening)) {
          this.started = true;
          this.startWaiter?.resolve(this.ports);
        }
        return;
      case "health":
        this.options.health.update(worker.id, message.health);
        return;
      case "answer":
        this.options.queries.answered(message);
        return;
    }
  }

  private onExit(slot: Slot, worker: Worker, exit: Exit): void {
    this.options.health.remove(worker.id);
    this.options.queries.workerExited(worker.id);
    slot.worker = undefined;
    slot.listening = false;
    this.countRunning();
    if (this.stopping) return;
    const { logger, metrics } = this.options;
    if (!this.started) {
      this.startWaiter?.reject(new Error(`worker ${slot.index} exited (code ${exit.code}, signal ${exit.signal}) before it was serving; its own error, if any, is above`));
      return;
    }
    const restartInMs = slot.policy.exited(Date.now() - slot.startedAtMs);
    metrics.workerRestartsTotal.inc();
    logger.error({ worker: slot.index, pid: worker.process.pid, code: exit.code, signal: exit.signal, restartInMs }, "worker exited unexpectedly; replacing it");
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (!this.stopping) this.fork(slot);
    }, restartInMs);
  }

  private countRunning(): void {
    this.options.metrics.workersRunning.set(this.slots.filter((s) => s.listening).length);
  }
}
