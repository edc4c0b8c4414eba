// A throwaway Postgres cluster on its own port for the fault soak: initdb in a temporary directory, then start,
// stop, stall (SIGSTOP every process of the cluster) and terminate the service's backends.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** The Postgres server binaries (Debian layout), or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const dir = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, "initdb")));
  return dir;
}

export class PostgresCluster {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb (as the postgres user when running as root: the server refuses root) and start on `port`. */
  static async create(port: number): Promise<PostgresCluster> {
    const bin = postgresBinDir();
    if (bin === undefined) throw new Error("no Postgres server binaries under /usr/lib/postgresql");
    const dir = mkdtempSync(join(tmpdir(), "aid-soak-pg-"));
    if (process.getuid?.() === 0) chownSync(dir, uidOf("postgres"), gidOf("postgres"));
    const cluster = new PostgresCluster(bin, dir, port);
    cluster.run("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const command = join(this.bin, tool);
    const asPostgres = process.getuid?.() === 0;
    const r = spawnSync(asPostgres ? "runuser" : command, asPostgres ? ["-u", "postgres", "--", command, ...args] : args, { encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stdout}${r.stderr}`);
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    this.run("pg_ctl", ["-D", join(this.dir, "data"), "-o", options, "-l", join(this.dir, "log"), "-w", "start"]);
  }

  async stop(): Promise<void> {
    this.run("pg_ctl", ["-D", join(this.dir, "data"), "-m", "immediate", "-w", "stop"]);
  }

  /** Every process of the cluster (the postmaster and its children). */
  private pids(): number[] {
    const head = readFileSync(join(this.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]!;
    const postmaster = Number(head);
    const children = execFileSync("ps", ["-o", "pid=", "--ppid", String(postmaster)], { encoding: "utf8" })
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
    return [postmaster, ...children];
  }

  /** Freezes the whole cluster (connections stay open, nothing answers) for `ms`. */
  async stall(ms: number): Promise<void> {
    const pids = this.pids();
    for (const p of pids) process.kill(p, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      for (const p of pids) {
        try {
          process.kill(p, "SIGCONT");
        } catch {
          // the process ended meanwhile
        }
      }
    }
  }

  /** pg_terminate_backend on every connection to `database` (what a failover or pooler restart does). */
  async terminateBackends(database: string): Promise<number> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      const r = await client.query<{ n: string }>(
        "SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [database],
      );
      return Number(r.rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  async destroy(): Promise<void> {
    try {
      await this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}

function gidOf(user: string): number {
  return Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
}
