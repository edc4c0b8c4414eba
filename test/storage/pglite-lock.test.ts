/** The PGlite directory lock: exclusive between live processes, taken over from a dead one, released on close. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lockPathFor, lockPgliteDirectory, PgliteDirectoryInUseError } from "../../src/adapters/sql/pglite-lock.js";

describe("PGlite directory lock", () => {
  const dirs: string[] = [];
  const dataDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), "aid-lock-"));
    dirs.push(d);
    return join(d, "pglite");
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("writes our pid, refuses a live holder, and removes the file on release", () => {
    const dir = dataDir();
    const lock = lockPgliteDirectory(dir);
    expect(readFileSync(lock.path, "utf8").trim()).toBe(String(process.pid));
    // A live holder other than us: the parent process (the test runner's).
    writeFileSync(lock.path, `${process.ppid}\n`);
    expect(() => lockPgliteDirectory(dir)).toThrow(PgliteDirectoryInUseError);
    expect(() => lockPgliteDirectory(dir)).toThrow(new RegExp(`in use by process ${process.ppid}.*PGLITE_DATA_DIR`));
    writeFileSync(lock.path, `${process.pid}\n`);
    lock.release();
    expect(existsSync(lockPathFor(dir))).toBe(false);
  });

  it("takes over a lock left by a process that is gone", () => {
    const dir = dataDir();
    // Far above any pid_max: no such process.
    writeFileSync(lockPathFor(dir), "99999999\n");
    const lock = lockPgliteDirectory(dir);
    expect(readFileSync(lock.path, "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });

  it("respects a fresh lock file whose holder has not written its pid yet", () => {
    const dir = dataDir();
    writeFileSync(lockPathFor(dir), "");
    expect(() => lockPgliteDirectory(dir)).toThrow(/in use by another process/);
  });
});
