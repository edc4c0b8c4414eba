/** An exclusive lock on a PGlite data directory: a second process on the same directory is refused, not let in to corrupt it. */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { resolve } from "node:path";

/** Thrown when another live process holds the directory. */
export class PgliteDirectoryInUseError extends Error {
  override readonly name = "PgliteDirectoryInUseError";
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `the embedded database directory ${dataDir} is in use by ${holderPid === undefined ? "another process" : `process ${holderPid}`} ` +
        "(PGLITE_DATA_DIR: stop the other service, or set PGLITE_DATA_DIR to another directory)",
    );
  }
}

export interface PgliteLock {
  readonly path: string;
  release(): void;
}

/** The lock file sits beside the directory (PGlite owns the directory's contents). */
export function lockPathFor(dataDir: string): string {
  return `${resolve(dataDir)}.lock`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A lock file without a pid may be one another process is writing right now: respect it for a few seconds. */
function justCreated(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 5_000;
  } catch {
    return false;
  }
}

function create(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock of `dataDir` (a file `<dataDir>.lock` holding our pid). A lock left by a process that is gone
 * (killed, crashed; or our own pid again, as in a restarted container) is taken over once.
 * @throws PgliteDirectoryInUseError when a live process holds it.
 */
export function lockPgliteDirectory(dataDir: string): PgliteLock {
  const path = lockPathFor(dataDir);
  for (let attempt = 0; ; attempt++) {
    if (create(path)) break;
    const holder = holderOf(path);
    if (attempt > 0 || (holder === undefined ? justCreated(path) : holder !== process.pid && alive(holder))) {
      throw new PgliteDirectoryInUseError(resolve(dataDir), holder);
    }
    rmSync(path, { force: true });
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      if (holderOf(path) === process.pid) rmSync(path, { force: true });
    },
  };
}
