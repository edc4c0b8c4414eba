/** The bench's child processes (load generator, reference servers, floor): forked on Node (tsx, or a build), spoken to over IPC. */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../../config/project-root.js";
import type { FloorAnswer, FloorInit, FloorReport } from "./floor-protocol.js";
import type { LoadInit, PhaseFailure, PhaseOutcome, PhaseSpec, ReferencePorts } from "./protocol.js";

function forkTs(file: string, args: readonly string[] = []): ChildProcess {
  const root = projectRoot();
  return fork(join(root, "src", "cli", "bench", file), [...args], { cwd: root, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

function nextMessage<T extends { type: string }>(child: ChildProcess, accept: (m: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T): void => {
      if (!accept(m)) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code: number | null): void => reject(new Error(`bench child exited (${code}) before answering`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  return exited.finally(() => clearTimeout(timer));
}

export interface LoadGeneratorChild {
  readonly pid: number;
  run(spec: Omit<PhaseSpec, "type" | "id">): Promise<PhaseOutcome>;
  stop(): Promise<void>;
}

export async function startLoadGenerator(init: Omit<LoadInit, "type">): Promise<LoadGeneratorChild> {
  const child = forkTs("load-generator.ts");
  const ready = nextMessage<{ type: string }>(child, (m) => m.type === "ready");
  child.send({ type: "init", ...init } satisfies LoadInit);
  await ready;
  let id = 0;
  return {
    pid: child.pid!,
    async run(spec) {
      const mine = ++id;
      const answer = nextMessage<PhaseOutcome | PhaseFailure>(child, (m) => (m.type === "result" || m.type === "error") && m.id === mine);
      child.send({ type: "run", id: mine, ...spec } satisfies PhaseSpec);
      const m = await answer;
      if (m.type === "error") throw new Error(`load generator: ${m.message}`);
      return m;
    },
    async stop() {
      if (child.connected) child.send({ type: "close" });
      await stopChild(child);
    },
  };
}

export interface ReferenceChild extends Omit<ReferencePorts, "type"> {
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startReferenceServers(caFile: string, certFile: string, keyFile: string): Promise<ReferenceChild> {
  const child = forkTs("reference-servers.ts", [caFile, certFile, keyFile]);
  const ports = await nextMessage<ReferencePorts>(child, (m) => m.type === "listening");
  return { pid: child.pid!, grpcJsPort: ports.grpcJsPort, http1Port: ports.http1Port, stop: () => stopChild(child) };
}

/**
 * Runs the floor child (floor-child.ts) to the end: the Verify handler in-process and the storage round trips, on the
 * storage named in `init` (`builtEntry`: dist/src/cli/bench/floor-child.js); rejects with the child's error.
 */
export async function runFloorChild(init: Omit<FloorInit, "type">, builtEntry?: string): Promise<FloorReport> {
  // The production build's own floor-child.js when the service runs the build, so both run the same compiled code.
  const child = builtEntry === undefined ? forkTs("floor-child.ts") : fork(builtEntry, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const answer = nextMessage<FloorAnswer>(child, (m) => m.type === "result" || m.type === "error");
    child.send({ type: "init", ...init } satisfies FloorInit);
    const m = await answer;
    if (m.type === "error") throw new Error(`floor child: ${m.message}`);
    return m.report;
  } finally {
    await stopChild(child);
  }
}
