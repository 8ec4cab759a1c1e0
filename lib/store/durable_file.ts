/**
 * Small durable-file helpers shared by the persistence modules: syncing a
 * directory after a rename, and writing a whole file atomically.
 *
 * @module
 */

import { basename, dirname, join } from "@lib/store/file_path.ts";

/**
 * Makes a rename or link in `dir` durable by syncing the directory. Filesystems
 * that cannot sync a directory (EINVAL) are accepted as they are.
 *
 * @param dir The directory.
 */
export async function syncDir(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } catch (err) {
    if (!(err instanceof Error && "code" in err && err.code === "EINVAL")) throw err;
  } finally {
    handle.close();
  }
}

/**
 * Writes `bytes` to `path` so that `path` holds either its old content or all
 * of the new one, even across a crash: a 0600 temp file
 * `<basename>.in_progress.<random>` in the same directory is written, synced and
 * renamed over `path`, then the directory is synced. On error the temp file is
 * removed and the error rethrown.
 *
 * @param path The file to write.
 * @param bytes Its new content.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  let tmpPath = "";
  let file: Deno.FsFile | undefined;
  for (let attempt = 0; file === undefined; attempt++) {
    const random = crypto.getRandomValues(new Uint32Array(1))[0]!;
    tmpPath = join(dir, `${basename(path)}.in_progress.${random}`);
    try {
      file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists) || attempt >= 10) throw err;
    }
  }
  try {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmpPath, path);
  } catch (err) {
    await Deno.remove(tmpPath).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}
