/** Writes secret material (private keys) to a 0600 file, refusing to overwrite unless forced. */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export class SecretFileExistsError extends Error {
  override readonly name = "SecretFileExistsError";
  constructor(readonly path: string) {
    super(`${path} already exists; pass --force to overwrite it`);
  }
}

/**
 * Creates `path` with mode 0600 (parent directories 0700 when created). Without `force` an existing file
 * is never touched (exclusive create); with `force` the content goes to a 0600 temporary file in the same
 * directory that then replaces `path` atomically, so a pre-existing wider mode does not survive.
 * @throws SecretFileExistsError when the file exists and force is not set.
 */
export async function writeSecretFile(path: string, content: string, options: { force?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const target = options.force === true ? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`) : path;
  let handle;
  try {
    handle = await open(target, "wx", 0o600);
  } catch (e) {
    if (typeof e === "object" && e !== null && "code" in e && e.code === "EEXIST") throw new SecretFileExistsError(path);
    throw e;
  }
  try {
    await handle.chmod(0o600);
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(target, { force: true });
    throw e;
  }
  await handle.close();
  if (target !== path) {
    try {
      await rename(target, path);
    } catch (e) {
      await rm(target, { force: true });
      throw e;
    }
  }
  await chmod(path, 0o600);
}
