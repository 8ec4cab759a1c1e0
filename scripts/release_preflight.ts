/**
 * The release preflight: finds a runtime base (denort) for every target before anything is
 * compiled: `DENORT_BIN` (host only), Deno's cache, or the download server.
 *
 * @module
 */

import { exists } from "@std/fs";
import { decideBase, EXIT_CODES } from "./release_lib.ts";
import { mustRun, ReleaseError, sha256File } from "./release_io.ts";
import { denortCachePath, denortDownloadUrl, hostTarget, type Target } from "./targets.ts";

/** Seconds to wait for the download server in the preflight. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Deno's cache directory, as `deno info --json` reports it.
 *
 * @returns The directory.
 */
export async function denoDir(): Promise<string> {
  const out = await mustRun(Deno.execPath(), ["info", "--json"], { env: { NO_COLOR: "1" } });
  const dir = (JSON.parse(out.stdout) as { denoDir?: unknown }).denoDir;
  if (typeof dir !== "string") throw new Error("deno info --json printed no denoDir");
  return dir;
}

/**
 * Asks the download server whether a file is there (HEAD, short timeout).
 *
 * @param url The URL.
 * @returns `undefined` when it answers 2xx, else why not.
 */
export async function probeDownload(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok ? undefined : `HTTP ${res.status}`;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) return "no --allow-net=dl.deno.land permission";
    if (!(e instanceof Error)) return String(e);
    return e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message;
  }
}

/** Inputs of {@link preflight}. */
export interface PreflightOptions {
  /** Targets to check. */
  readonly targets: readonly Target[];
  /** Deno version of the base. */
  readonly denoVersion: string;
  /** Deno's cache directory. */
  readonly denoDir: string;
  /** Value of `DENORT_BIN`. */
  readonly denortBin: string | undefined;
  /** Probe for the download server (injected in tests). */
  readonly probe?: (url: string) => Promise<string | undefined>;
}

/**
 * Checks that every target has a runtime base before anything is compiled.
 *
 * @param options Targets and environment.
 * @returns Messages describing each base used.
 * @throws {ReleaseError} With {@link EXIT_CODES.baseUnavailable} naming each missing base.
 */
export async function preflight(options: PreflightOptions): Promise<string[]> {
  const host = hostTarget(Deno.build.os, Deno.build.arch);
  const probe = options.probe ?? probeDownload;
  const notes: string[] = [];
  const problems: string[] = [];
  let networkDown: string | undefined;
  for (const target of options.targets) {
    const cachePath = denortCachePath(options.denoDir, options.denoVersion, target);
    const downloadUrl = denortDownloadUrl(options.denoVersion, target);
    const cacheExists = options.denortBin === undefined && await exists(cachePath);
    let downloadReachable: boolean | undefined;
    let downloadError: string | undefined;
    if (options.denortBin === undefined && !cacheExists) {
      // After a network failure (not an HTTP status), do not wait on the server again.
      downloadError = networkDown ?? await probe(downloadUrl);
      downloadReachable = downloadError === undefined;
      if (downloadError !== undefined && !downloadError.startsWith("HTTP ")) {
        networkDown = downloadError;
      }
    }
    const decision = decideBase({
      target,
      host,
      denoVersion: options.denoVersion,
      denortBin: options.denortBin,
      cachePath,
      cacheExists,
      downloadUrl,
      downloadReachable,
      downloadError,
    });
    if (!decision.ok) {
      problems.push(decision.message);
    } else if (decision.source === "cache") {
      notes.push(
        `${target.triple}: base from cache ${cachePath} (sha256 ${await sha256File(cachePath)})`,
      );
    } else {
      notes.push(`${target.triple}: base from ${decision.source} ${decision.detail}`);
    }
  }
  if (problems.length > 0) throw new ReleaseError(EXIT_CODES.baseUnavailable, problems.join("\n"));
  return notes;
}
