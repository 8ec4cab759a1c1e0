/**
 * Packaging one target reproducibly (tar.gz, and zip on Windows) and writing the checksum file,
 * as upstream's promu does.
 *
 * @module
 */

import { basename, join, resolve } from "@std/path";
import { archiveCommands, formatChecksums, releaseLayout } from "./release_lib.ts";
import { mustRun, sha256File } from "./release_io.ts";
import type { Target } from "./targets.ts";

/** Name of the checksum file in the output directory. */
export const CHECKSUMS_FILE = "sha256sums.txt";

/** Inputs of {@link packageTarget}. */
export interface PackageOptions {
  /** Release version. */
  readonly version: string;
  /** The target the executable was built for. */
  readonly target: Target;
  /** Path of the built executable. */
  readonly executable: string;
  /** Paths of the files shipped beside it (`LICENSE`, `NOTICE`). */
  readonly files: readonly string[];
  /** Directory receiving the archives (created if missing). */
  readonly outDir: string;
  /** Modification time of every member, seconds since 1970. */
  readonly epoch: number;
}

/**
 * Packages one target: lays out `<dir>/` in a temporary directory, then
 * writes a reproducible `<dir>.tar.gz` (and `<dir>.zip` on Windows) into
 * `outDir`, replacing older ones.
 *
 * @param options What to package and where.
 * @returns Paths of the archives written.
 */
export async function packageTarget(options: PackageOptions): Promise<string[]> {
  const layout = releaseLayout(
    options.version,
    options.target,
    options.files.map((f) => basename(f)),
  );
  const outDir = resolve(options.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  const staging = await Deno.makeTempDir({ prefix: "pushgateway-release-" });
  try {
    const dir = join(staging, layout.dir);
    await Deno.mkdir(dir);
    await Deno.copyFile(options.executable, join(dir, layout.executable));
    await Deno.chmod(join(dir, layout.executable), 0o755);
    for (const file of options.files) {
      const dest = join(dir, basename(file));
      await Deno.copyFile(file, dest);
      await Deno.chmod(dest, 0o644);
    }
    await Deno.chmod(dir, 0o755);
    const when = new Date(options.epoch * 1000);
    for (const file of layout.files) await Deno.utime(join(dir, file), when, when);
    await Deno.utime(dir, when, when);

    const written: string[] = [];
    for (const archive of layout.archives) {
      const path = join(outDir, archive);
      await Deno.remove(path).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      for (const c of archiveCommands(archive, layout, outDir, staging, options.epoch)) {
        await mustRun(c.cmd, c.args, { cwd: c.cwd, env: { ...c.env } });
      }
      written.push(path);
    }
    return written;
  } finally {
    await Deno.remove(staging, { recursive: true });
  }
}

/**
 * Writes `sha256sums.txt` for every regular file in a directory (as promu's
 * `checksum` command does), except the checksum file itself.
 *
 * @param outDir The directory.
 * @returns The checksum file's path.
 */
export async function writeChecksums(outDir: string): Promise<string> {
  const sums = [];
  for await (const entry of Deno.readDir(outDir)) {
    if (!entry.isFile || entry.name === CHECKSUMS_FILE) continue;
    sums.push({ file: entry.name, sha256: await sha256File(join(outDir, entry.name)) });
  }
  const path = join(outDir, CHECKSUMS_FILE);
  await Deno.writeTextFile(path, formatChecksums(sums));
  return path;
}
