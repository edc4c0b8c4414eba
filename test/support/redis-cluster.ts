/** A three-master Redis Cluster (each master with one replica) of child redis-server processes on loopback ports, for one test file. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";

const NODES = 6;
/** Short enough that a crashed master is replaced within seconds; manual failovers do not wait for it. */
const NODE_TIMEOUT_MS = 2000;

/** Sends `signal` (SIGCONT first: a frozen process acts on SIGKILL only once thawed on some systems) and waits for the exit. */
function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGCONT");
    child.kill(signal);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A node's role line from CLUSTER NODES ("myself" row). */
interface NodeRole {
  readonly port: number;
  readonly id: string;
  readonly master: boolean;
  /** A replica's master id. */
  readonly masterId: string | undefined;
}

export class LocalRedisCluster {
  private readonly children = new Map<number, ChildProcess>();
  private readonly clients = new Map<number, Redis>();
  /** Nodes killed by the test (left out of health checks). */
  private readonly dead = new Set<number>();

  private constructor(
    readonly ports: readonly number[],
    private readonly dir: string,
  ) {}

  /** Starts six nodes, creates the cluster (three masters, one replica each) and waits until it serves. */
  static async start(): Promise<LocalRedisCluster> {
    const ports: number[] = [];
    while (ports.length < NODES * 2) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const cluster = new LocalRedisCluster(ports.slice(0, NODES), mkdtempSync(join(tmpdir(), "redis-cluster-")));
    try {
      await cluster.spawnNodes(ports.slice(NODES));
      cluster.create();
      await cluster.waitHealthy();
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** REDIS_URL's cluster form, listing every node as a seed. */
  get url(): string {
    return `redis+cluster://${this.ports.map((p) => `127.0.0.1:${p}`).join(",")}`;
  }

  /** A direct client to one node (kept open until stop()). */
  node(port: number): Redis {
    let client = this.clients.get(port);
    if (client === undefined) {
      client = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 1, lazyConnect: false });
      client.on("error", () => undefined);
      this.clients.set(port, client);
    }
    return client;
  }

  private get live(): number[] {
    return this.ports.filter((p) => !this.dead.has(p));
  }

  /** Every live node's own role. */
  async roles(): Promise<NodeRole[]> {
    return Promise.all(
      this.live.map(async (port) => {
        const nodes = (await this.node(port).call("CLUSTER", "NODES")) as string;
        const mine = nodes.split("\n").find((l) => l.includes("myself")) ?? "";
        const [id = "", , flags = "", masterId = "-"] = mine.split(" ");
        return { port, id, master: flags.includes("master"), masterId: masterId === "-" ? undefined : masterId };
      }),
    );
  }

  /** The port of the master serving `key` now. */
  async masterOf(key: string): Promise<number> {
    const any = this.node(this.live[0] ?? 0);
    const slot = Number(await any.call("CLUSTER", "KEYSLOT", key));
    const shards = (await any.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
    const shard = shards.find(([from, to]) => slot >= from && slot <= to);
    if (shard === undefined) throw new Error(`no master serves slot ${slot}`);
    return shard[2][1];
  }

  /** The port of the live node holding a client connection named `name` (CLIENT SETNAME), if any. */
  async nodeWithClient(name: string): Promise<number | undefined> {
    for (const port of this.live) {
      const list = (await this.node(port).call("CLIENT", "LIST")) as string;
      if (list.split("\n").some((line) => line.includes(` name=${name} `))) return port;
    }
    return undefined;
  }

  /** The port of the replica of the master on `masterPort`. */
  async replicaOf(masterPort: number): Promise<number> {
    const roles = await this.roles();
    const master = roles.find((r) => r.port === masterPort && r.master);
    const replica = roles.find((r) => master !== undefined && r.masterId === master.id);
    if (replica === undefined) throw new Error(`port ${masterPort} is no master with a replica`);
    return replica.port;
  }

  /**
   * Promotes the replica of the master on `masterPort` with CLUSTER FAILOVER (the replica first catches up
   * with its master, so no acknowledged write is lost) and waits until every node agrees and serves.
   * Returns the new master's port.
   */
  async failover(masterPort: number): Promise<number> {
    const replica = await this.replicaOf(masterPort);
    await this.node(replica).call("CLUSTER", "FAILOVER");
    await until("the failover", 10_000, async () => {
      const now = await this.roles();
      const promoted = now.find((r) => r.port === replica)?.master === true;
      const demoted = now.find((r) => r.port === masterPort)?.master === false;
      return promoted && demoted ? true : undefined;
    });
    await this.waitHealthy();
    return replica;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) a node's process: a frozen replica misses its master's writes. */
  freeze(port: number, frozen: boolean): void {
    this.children.get(port)?.kill(frozen ? "SIGSTOP" : "SIGCONT");
  }

  /** Crashes a node (SIGKILL); it stays down. */
  async kill(port: number): Promise<void> {
    this.dead.add(port);
    this.clients.get(port)?.disconnect();
    this.clients.delete(port);
    const child = this.children.get(port);
    if (child !== undefined) await exited(child, "SIGKILL");
  }

  /** CLUSTER FAILOVER TAKEOVER on a replica whose master is gone: it becomes master with what it has. */
  async takeover(replicaPort: number): Promise<void> {
    await this.node(replicaPort).call("CLUSTER", "FAILOVER", "TAKEOVER");
    await until("the takeover", 10_000, async () => ((await this.roles()).find((r) => r.port === replicaPort)?.master === true ? true : undefined));
    await this.waitHealthy();
  }

  /** Kills every node and removes the data directory. */
  async stop(): Promise<void> {
    for (const client of this.clients.values()) client.disconnect();
    this.clients.clear();
    const children = [...this.children.values()];
    this.children.clear();
    await Promise.all(children.map((child) => exited(child, "SIGKILL")));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async spawnNodes(busPorts: readonly number[]): Promise<void> {
    for (const [i, port] of this.ports.entries()) {
      // prettier-ignore
      const args = [
        "--port", String(port), "--cluster-port", String(busPorts[i]), "--bind", "127.0.0.1",
        "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--dir", this.dir,
        "--cluster-node-timeout", String(NODE_TIMEOUT_MS), "--save", "", "--appendonly", "no",
        "--daemonize", "no", "--maxmemory-policy", "noeviction", "--repl-diskless-sync-delay", "0",
      ];
      this.children.set(port, spawn("redis-server", args, { stdio: "ignore" }));
    }
    await Promise.all(this.ports.map((port) => until(`node ${port} up`, 10_000, async () => ((await this.node(port).ping()) === "PONG" ? true : undefined))));
  }

  private create(): void {
    const nodes = this.ports.map((p) => `127.0.0.1:${p}`);
    const result = spawnSync("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "1", "--cluster-yes"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    if (result.status !== 0) throw new Error(`redis-cli --cluster create failed: ${result.stdout}${result.stderr}`);
  }

  /** Every live node says cluster_state:ok, three masters, and every replica's link to its master is up. */
  private async waitHealthy(): Promise<void> {
    await until("cluster_state:ok on every node", 20_000, async () => {
      for (const port of this.live) {
        const info = (await this.node(port).call("CLUSTER", "INFO")) as string;
        if (!info.includes("cluster_state:ok")) return undefined;
      }
      const roles = await this.roles();
      if (roles.filter((r) => r.master).length !== NODES / 2) return undefined;
      for (const replica of roles.filter((r) => !r.master)) {
        const info = await this.node(replica.port).info("replication");
        if (!info.includes("master_link_status:up")) return undefined;
      }
      return true;
    });
  }
}

/**
 * Whether this run starts Redis Clusters of its own: not in "embedded" runs; otherwise when redis-server and
 * redis-cli are on PATH, and when CI=true (or TEST_ADAPTERS=real) they must be (an error, not a skip).
 */
export function redisClusterRuns(): boolean {
  if (process.env.TEST_ADAPTERS === "embedded") return false;
  const ok = ["redis-server", "redis-cli"].every((bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0);
  if (!ok && (process.env.CI === "true" || process.env.TEST_ADAPTERS === "real")) {
    throw new Error("redis-server and redis-cli must be on PATH when CI=true or TEST_ADAPTERS=real (Redis Cluster tests)");
  }
  return ok;
}
