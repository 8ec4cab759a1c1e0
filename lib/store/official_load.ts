/**
 * Restoring from the official Pushgateway's persistence file: decode it, keep
 * the groups a consistent store can hold, keep a byte-identical copy of the file
 * beside it (the way back), and say in one log line what happened.
 *
 * @module
 */

import { dirname } from "@lib/store/file_path.ts";
import type { OwnFamily } from "@lib/store/store.ts";
import { decodeOfficialFile } from "@lib/store/official_format.ts";
import { describeGroup, selectConsistentGroups } from "@lib/store/restore_check.ts";
import { syncDir, writeFileAtomic } from "@lib/store/durable_file.ts";
import type { Group } from "@lib/store/types.ts";

/** The logger methods used here (the application logger has them). */
export interface OfficialLoadLogger {
  /** Logs at info level. */
  info(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at warn level. */
  warn(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at error level. */
  error(msg: string, attrs?: Record<string, unknown>): void;
}

/** Options of {@linkcode restoreOfficialFile}. */
export interface OfficialLoadOptions {
  /** The clock for a `.upstream-<timestamp>` name (Unix epoch ms). */
  readonly now: () => number;
  /** The gateway's own families, which restored groups must agree with. */
  readonly own?: ReadonlyMap<string, OwnFamily>;
}

/** The suffix of the kept copy of an official file. */
export const UPSTREAM_COPY_SUFFIX = ".upstream";

/** `20260527T150000.123Z` for a file name. */
function fileTimestamp(ms: number): string {
  return new Date(ms).toISOString().replaceAll("-", "").replaceAll(":", "");
}

async function sameBytes(path: string, bytes: Uint8Array): Promise<boolean> {
  const info = await Deno.stat(path);
  if (info.size !== bytes.length) return false;
  const other = await Deno.readFile(path);
  return other.every((b, i) => b === bytes[i]);
}

/**
 * Keeps `bytes` (the content of `path`) as `<path>.upstream`, or, when that
 * holds something else, as `<path>.upstream-<timestamp>`; never overwrites.
 * A hard link is tried first (instant, no space needed; the gateway replaces
 * `path` by renaming, so the link keeps the old content), then a durable copy.
 *
 * @returns The path of the copy.
 */
async function keepCopy(path: string, bytes: Uint8Array, now: () => number): Promise<string> {
  const base = path + UPSTREAM_COPY_SUFFIX;
  for (let n = 0;; n++) {
    const target = n === 0 ? base : n === 1 ? `${base}-${fileTimestamp(now())}` : `${base}-${n}`;
    try {
      if (await sameBytes(target, bytes)) return target; // kept on an earlier start
      continue;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    try {
      await Deno.link(path, target);
      await syncDir(dirname(target));
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) continue;
      await writeFileAtomic(target, bytes);
    }
    return target;
  }
}

/**
 * Restores groups from an official persistence file whose content is `bytes`.
 * Groups are replayed in the order of their last push, and one that would
 * make the store inconsistent is left out with a warning naming it. A
 * byte-identical copy of the file is kept as `<path>.upstream` before anything
 * replaces it (an error is logged when that fails; the groups are restored
 * all the same). One info line reports the outcome.
 *
 * @param path The persistence file.
 * @param bytes Its content.
 * @param logger Where to report.
 * @param options The clock and the gateway's own families.
 * @returns The groups to restore, exactly as the file holds them.
 * @throws {OfficialFormatError} When the file is damaged or truncated (the
 * caller sets it aside like a damaged snapshot of ours).
 */
export async function restoreOfficialFile(
  path: string,
  bytes: Uint8Array,
  logger: OfficialLoadLogger,
  options: OfficialLoadOptions,
): Promise<Group[]> {
  const groups = decodeOfficialFile(bytes);
  const { kept, leftOut } = selectConsistentGroups(groups, options.own);
  let copy: string | undefined;
  try {
    copy = await keepCopy(path, bytes, options.now);
  } catch (err) {
    logger.error(
      "could not keep a copy of the official persistence file; the next write will replace it",
      { file: path, err },
    );
  }
  for (const { group, reason } of leftOut) {
    logger.warn("left out a group of the official persistence file: it contradicts earlier ones", {
      group: describeGroup(group.labels),
      err: reason,
      kept_in: copy ?? path,
    });
  }
  logger.info(
    "restored the official Pushgateway's persistence file; the next write replaces it with this gateway's format",
    {
      file: path,
      groups: kept.length,
      left_out: leftOut.length,
      ...(copy === undefined ? {} : { copy }),
    },
  );
  return kept;
}
