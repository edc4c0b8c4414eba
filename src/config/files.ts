/** File helpers for configuration: readability checks and atomic 0600 writes of key material. */
import { randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Undefined when `path` is a readable regular file, else why not (no file content is ever included). */
export function unreadableReason(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a regular file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `${path} does not exist`;
    if (code === "EACCES") return `${path} is not readable`;
    return `${path} cannot be read (${code ?? "error"})`;
  }
}

/**
 * Writes `data` to `path` atomically with mode 0600: a temporary file in the same directory, created
 * exclusively with that mode, synced, then renamed over the target. A crash leaves either the old file or
 * the new one, never a partial key.
 */
export function writeSecretFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", 0o600);
  try {
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
