/**
 * Crash-safe snapshot files of the metric store: the atomic writer, the
 * loader that sets damaged files aside, and the scheduler that follows
 * upstream's persistence cadence. The format lives in {@link ./snapshot.ts}.
 *
 * @module
 */

import { basename, dirname, join } from "@lib/store/file_path.ts";
import type { Group } from "@lib/store/types.ts";
import { decodeSnapshotFile } from "@lib/store/snapshot_decode.ts";
import { SnapshotEncoder } from "@lib/store/snapshot_encode.ts";
import { syncDir } from "@lib/store/durable_file.ts";
import type { OwnFamily } from "@lib/store/store.ts";
import { looksLikeGob } from "@lib/gob/wire.ts";

/** The logger methods persistence uses (the application logger has them). */
export interface PersistenceLogger {
  /** Logs at debug level. */
  debug(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at info level. */
  info(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at warn level. */
  warn(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at error level. */
  error(msg: string, attrs?: Record<string, unknown>): void;
}

/** Output is handed to the file in pieces of about this many bytes. */
const CHUNK_BYTES = 64 * 1024;

/** The infix of temp files: `<basename>.in_progress.<random>`. */
const IN_PROGRESS = ".in_progress.";

/** Returns the temp-file prefix for a snapshot path's basename. */
function tempPrefix(path: string): string {
  return basename(path) + IN_PROGRESS;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/** Opens a new 0600 temp file beside `path`, like Go's `os.CreateTemp(dir, base+".in_progress.*")`. */
async function createTemp(path: string): Promise<{ file: Deno.FsFile; tmpPath: string }> {
  const dir = dirname(path);
  for (let attempt = 0;; attempt++) {
    const random = crypto.getRandomValues(new Uint32Array(1))[0]!;
    const tmpPath = join(dir, tempPrefix(path) + random);
    try {
      const file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
      return { file, tmpPath };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists) || attempt >= 10) throw err;
    }
  }
}

/**
 * Writes a snapshot of `groups` to `path` so that `path` always holds either
 * the previous complete snapshot or the new one, even across a crash or a
 * power loss: the data goes to a 0600 temp file `<basename>.in_progress.<random>`
 * in the same directory, is synced, renamed over `path`, and the directory is
 * synced. Output is streamed in chunks of about 64 KiB, awaiting each file
 * write, so memory stays bounded and the event loop keeps running. On any
 * error the temp file is removed and the error rethrown.
 *
 * `groups` is iterated lazily during the write, so it must not change
 * meanwhile (stored groups are immutable; pass the array captured at start).
 *
 * @param path The snapshot file.
 * @param groups The groups to write.
 * @returns The number of bytes and groups written.
 */
export async function writeSnapshotAtomic(
  path: string,
  groups: Iterable<Group>,
): Promise<{ bytes: number; groups: number }> {
  const { file, tmpPath } = await createTemp(path);
  let open = true;
  try {
    // node:crypto's SHA-256 (~10× the JavaScript one's speed): loaded with the first write, long
    // after the start it would slow down (snapshot_encode.ts).
    const { createHash } = await import("node:crypto");
    const sha256 = createHash("sha256");
    const encoder = new SnapshotEncoder({
      update: (text) => void sha256.update(text, "utf8"),
      hex: () => sha256.digest("hex"),
    });
    const utf8 = new TextEncoder();
    let bytes = 0;
    let chunk = encoder.header();
    const flush = async (): Promise<void> => {
      const data = utf8.encode(chunk);
      chunk = "";
      bytes += data.length;
      await writeAll(file, data);
    };
    for (const group of groups) {
      chunk += encoder.group(group);
      if (chunk.length >= CHUNK_BYTES) await flush();
    }
    chunk += encoder.trailer();
    await flush();
    await file.syncData();
    open = false;
    file.close();
    await Deno.rename(tmpPath, path);
    await syncDir(dirname(path));
    return { bytes, groups: encoder.groups };
  } catch (err) {
    if (open) {
      try {
        file.close();
      } catch {
        // already unusable; removing the temp file is what matters
      }
    }
    await Deno.remove(tmpPath).catch(() => {});
    throw err;
  }
}

/** Options of {@linkcode loadSnapshot}. */
export interface LoadOptions {
  /** The clock for the `.corrupt-<timestamp>` suffix (Unix epoch ms). Defaults to `Date.now`. */
  now?: () => number;
  /**
   * The gateway's own families: groups of an official Pushgateway file that contradict them are
   * left out. Defaults to none.
   */
  own?: ReadonlyMap<string, OwnFamily>;
}

/** `20260527T150000.123Z` for the name of a set-aside file. */
function fileTimestamp(ms: number): string {
  return new Date(ms).toISOString().replaceAll("-", "").replaceAll(":", "");
}

/** Removes `<basename>.in_progress.*` files left by an interrupted write. */
async function removeStaleTemps(path: string, logger: PersistenceLogger): Promise<void> {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.startsWith(prefix)) continue;
      const stale = join(dir, entry.name);
      try {
        await Deno.remove(stale);
        logger.info("removed stale temporary persistence file", { file: stale });
      } catch (err) {
        logger.warn("could not remove stale temporary persistence file", { file: stale, err });
      }
    }
  } catch (err) {
    // An unreadable or missing directory: the load and the first write report it.
    logger.debug("could not scan persistence directory", { dir, err });
  }
}

/** Renames a damaged snapshot out of the way so the next write does not destroy it. */
async function setAside(
  path: string,
  now: () => number,
  logger: PersistenceLogger,
): Promise<void> {
  const base = `${path}.corrupt-${fileTimestamp(now())}`;
  for (let n = 0;; n++) {
    const target = n === 0 ? base : `${base}-${n}`;
    try {
      await Deno.lstat(target);
      continue; // never overwrite an earlier set-aside file
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    await Deno.rename(path, target);
    logger.warn("moved unreadable persistence file aside", { file: path, moved_to: target });
    return;
  }
}

/** What {@linkcode readPersistenceFile} found. */
export interface PersistenceFileContent {
  /** Ours (`pushgateway-deno-snapshot`) or the official Pushgateway's (Go gob). */
  readonly format: "ours" | "official";
  /** The groups, as the file holds them. */
  readonly groups: Group[];
}

/**
 * Reads a persistence file of either format without side effects: nothing is
 * set aside, no temp file removed, no copy made (for the export, which may run
 * beside a gateway that owns the file).
 *
 * @param path The file.
 * @returns Its format and groups.
 * @throws {Deno.errors.NotFound} When it does not exist.
 * @throws {SnapshotError | OfficialFormatError} When it is damaged.
 */
export async function readPersistenceFile(path: string): Promise<PersistenceFileContent> {
  const bytes = await Deno.readFile(path);
  if (looksLikeGob(bytes)) {
    const { decodeOfficialFile } = await import("@lib/store/official_format.ts");
    return { format: "official", groups: decodeOfficialFile(bytes) };
  }
  return { format: "ours", groups: await decodeSnapshotFile(bytes) };
}

/**
 * Restores the store from a snapshot file: ours, or the official Pushgateway's
 * (Go gob), recognised by its content. A missing file gives `[]`
 * silently. An official file is restored by {@linkcode restoreOfficialFile}:
 * its groups in the order of their last push, contradicting ones left out with
 * a warning, a byte-identical copy kept as `<path>.upstream`. Any other failure (damaged, truncated, foreign or other-version
 * content, or an unreadable file) logs `could not load persisted metrics`
 * and gives `[]`; a file that exists is then renamed to
 * `<path>.corrupt-<timestamp>` so later writes do not overwrite it. Stale
 * `<basename>.in_progress.*` temp files in the directory are removed first.
 *
 * @param path The snapshot file.
 * @param logger Where to report problems.
 * @param options The clock used to name set-aside files.
 * @returns The restored groups, or `[]`.
 */
export async function loadSnapshot(
  path: string,
  logger: PersistenceLogger,
  options: LoadOptions = {},
): Promise<Group[]> {
  await removeStaleTemps(path, logger);
  const now = options.now ?? Date.now;
  try {
    // Read whole: ours is decoded a few MiB at a time while another thread checks its checksum
    // (decodeSnapshotFile); the official format is decoded from one buffer anyway.
    const bytes = await Deno.readFile(path);
    if (looksLikeGob(bytes)) {
      // The official format's modules are loaded only for its files (a start without one is
      // shorter by their loading).
      const { restoreOfficialFile } = await import("@lib/store/official_load.ts");
      return await restoreOfficialFile(path, bytes, logger, { now, own: options.own });
    }
    return await decodeSnapshotFile(bytes);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    logger.error("could not load persisted metrics", { err });
    await setAsideIfFile(path, now, logger);
    return [];
  }
}

async function setAsideIfFile(
  path: string,
  now: () => number,
  logger: PersistenceLogger,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return; // not there or not reachable (ENOTDIR, EACCES): nothing to protect
  }
  if (!info.isFile) return; // a directory or a socket: leave it to the operator
  try {
    await setAside(path, now, logger);
  } catch (err) {
    logger.error("could not move unreadable persistence file aside", { file: path, err });
  }
}

/** The clock and timer the persister runs on; injected in tests. */
export interface PersisterClock {
  /** The current time in Unix epoch milliseconds. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds; returns an id for {@linkcode PersisterClock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer from {@linkcode PersisterClock.setTimeout}. */
  clearTimeout(id: unknown): void;
}

/** The real clock. */
const SYSTEM_CLOCK: PersisterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/** Options of {@linkcode createPersister}. */
export interface PersisterOptions {
  /** The snapshot file. */
  path: string;
  /** The minimum time between two interval writes (`--persistence.interval`). */
  intervalMs: number;
  /** Returns the store's groups at the moment a write starts. */
  snapshot: () => Iterable<Group>;
  /** Where writes are reported. */
  logger: PersistenceLogger;
  /** Clock and timer; the system ones by default. */
  clock?: PersisterClock;
  /** The file writer; {@linkcode writeSnapshotAtomic} by default (tests inject failures). */
  write?: (path: string, groups: Iterable<Group>) => Promise<unknown>;
}

/** Handle returned by {@linkcode createPersister}. */
export interface Persister {
  /** Tells the persister that a write request was processed (pushed, failed or deleted). */
  notifyWrite(): void;
  /**
   * The final write on shutdown: cancels the timer, waits for a write in
   * flight, then writes unconditionally. Afterwards the persister is stopped.
   * Not logged on success; rejects with the error on failure (upstream logs
   * `problem shutting down metric storage`).
   */
  flush(): Promise<void>;
  /** Cancels any scheduled write; no more writes start (one in flight completes). */
  stop(): void;
}

/**
 * Creates the persistence scheduler, following upstream's cadence:
 *
 * - `lastPersist` starts at creation time;
 * - after a processed write request, if no write is scheduled or running,
 *   one is scheduled at `lastPersist + intervalMs` (at once when that has
 *   passed), so the first write after a quiet spell is immediate and there
 *   is at most one write per interval;
 * - when a write finishes, `lastPersist` becomes the time it started, and a
 *   new write is scheduled if requests were processed meanwhile;
 * - never two writes at once; success logs `metrics persisted` (info),
 *   failure logs `error persisting metrics` (error) and is retried one
 *   interval after the failed attempt started, even without new requests
 *   (upstream waits for the next request).
 *
 * @param options Path, interval, store access, logger and clock.
 * @returns The scheduler handle.
 */
export function createPersister(options: PersisterOptions): Persister {
  const { path, intervalMs, snapshot, logger } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const write = options.write ?? writeSnapshotAtomic;

  let lastPersist = clock.now();
  let timer: { id: unknown } | undefined;
  let inFlight: Promise<void> | undefined;
  let dirty = false; // a request was processed since the running write took its snapshot
  let stopped = false;

  function schedule(): void {
    if (stopped || timer !== undefined || inFlight !== undefined) return;
    const delay = Math.max(0, lastPersist + intervalMs - clock.now());
    timer = { id: clock.setTimeout(run, delay) };
  }

  function run(): void {
    timer = undefined;
    if (stopped || inFlight !== undefined) return;
    const started = clock.now();
    dirty = false;
    inFlight = (async () => {
      try {
        await write(path, snapshot());
        logger.info("metrics persisted", { file: path });
      } catch (err) {
        logger.error("error persisting metrics", { err });
        dirty = true;
      }
    })().finally(() => {
      inFlight = undefined;
      lastPersist = started;
      if (dirty) schedule();
    });
  }

  function cancelTimer(): void {
    if (timer !== undefined) clock.clearTimeout(timer.id);
    timer = undefined;
  }

  return {
    notifyWrite(): void {
      if (stopped) return;
      if (inFlight !== undefined) dirty = true;
      else schedule();
    },
    async flush(): Promise<void> {
      stopped = true;
      cancelTimer();
      while (inFlight !== undefined) await inFlight;
      await write(path, snapshot());
    },
    stop(): void {
      stopped = true;
      cancelTimer();
    },
  };
}
