/** A redis-server child process per test (stopped and started at will) and the loopback port it listens on. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";

/** True when a redis-server binary is on PATH; when CI=true a missing binary is an error, not a skip. */
export function redisServerAvailable(): boolean {
  const ok = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
  if (!ok && process.env.CI === "true") throw new Error("redis-server must be on PATH when CI=true");
  return ok;
}

/** A redis-server child process of this test on a loopback port, no persistence; stop and start it at will. */
export class LocalRedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<LocalRedisServer> {
    const server = new LocalRedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on the same port and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error("redis-server already running");
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--maxmemory-policy", "noeviction"],
      { stdio: "ignore" },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === "PONG") return;
      } catch {
        // not up yet
      } finally {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error("redis-server did not start within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the child (SIGKILL: like a crash) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** A short-lived client to this server (the caller disconnects it). */
  connect(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }
}
