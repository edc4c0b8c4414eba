// One service replica for the soak: the production build as a real process that can be signalled, restarted,
// probed (/readyz) and measured (RSS); an exit nobody asked for is recorded as a crash.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { MAIN, REPO_ROOT } from "../ops/support.js";

export class Replica {
  private child: ChildProcess | undefined;
  private expectingExit = false;
  readonly crashes: string[] = [];
  output = "";

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
    readonly ports: { grpc: number; sidecar: number },
  ) {}

  async start(): Promise<void> {
    this.expectingExit = false;
    const child = spawn(process.execPath, [MAIN], { cwd: REPO_ROOT, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-400_000));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.on("exit", (code, signal) => {
      if (!this.expectingExit) this.crashes.push(`${this.name} exited (code ${code}, signal ${signal}): ${this.output.slice(-2000)}`);
    });
    await this.waitReady(90_000);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async readyz(): Promise<number> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.ports.sidecar}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.text();
      return res.status;
    } catch {
      return 0;
    }
  }

  async waitReady(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (Date.now() < until) {
      if ((await this.readyz()) === 200) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.name}: /readyz not 200 within ${deadlineMs} ms:\n${this.output.slice(-3000)}`);
  }

  /** Resident set size in MiB (from /proc). */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.child!.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  }

  /** V8 heap in use in MiB, from the replica's own /metrics (nodejs_heap_size_used_bytes). */
  async heapUsedMiB(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.ports.sidecar}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
    if (m === null) throw new Error("nodejs_heap_size_used_bytes not exported");
    return Number(m[1]) / 1048576;
  }

  /** Sends `signal` and waits for the exit; returns the exit code (null after SIGKILL). */
  async stop(signal: "SIGTERM" | "SIGKILL"): Promise<number | null> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return child?.exitCode ?? null;
    this.expectingExit = true;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }
}
