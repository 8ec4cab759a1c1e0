/**
 * Builds the release archives, the way upstream's promu does:
 * `dist/pushgateway-<version>.<os>-<arch>.tar.gz` (plus `.zip` for Windows),
 * each holding `pushgateway-<version>.<os>-<arch>/` with the executable,
 * `LICENSE` and `NOTICE`, and `dist/sha256sums.txt`.
 *
 * ```sh
 * deno task release                          # every target
 * deno task release --target linux-amd64     # a subset (repeatable or comma list)
 * deno task release --dry-run                # print the plan only
 * ```
 *
 * Steps: check inputs (Deno version = `.deno-version`, `main.ts`, `LICENSE`,
 * `NOTICE`, `ui/`); preflight the runtime base (denort) of every target
 * before compiling any; write `build_info.json`; `deno compile` each target;
 * check each executable's header against its target (and run the host's
 * `--version`); remove or restore `build_info.json`; package reproducibly
 * (`SOURCE_DATE_EPOCH`, else the commit time of `HEAD`); write checksums.
 *
 * The runtime base comes from, in this order: `DENORT_BIN` (host target only;
 * it must be a denort binary, not the full deno CLI), the cache
 * `$DENO_DIR/dl/release/v<deno>/denort-<triple>.zip`, or dl.deno.land.
 *
 * Permissions: `--allow-read --allow-write --allow-run --allow-env
 * --allow-net=dl.deno.land --allow-sys=hostname`. Without `--allow-net` the
 * preflight cannot reach the download server, so only `DENORT_BIN` or a warm
 * cache will do; without `--allow-sys=hostname` the build user is `<user>@unknown`.
 * The sha256 of each cached base zip is printed, since `deno compile` uses it unchecked.
 *
 * Exit codes:
 * - 0: archives and checksums written, or the dry-run plan printed;
 * - 1: a command failed (compile, tar, gzip, zip), its output is shown;
 * - 2: bad command line or `SOURCE_DATE_EPOCH`;
 * - 3: no runtime base for a target (no `DENORT_BIN` for the host, no cached
 *   zip, download server unreachable), or `DENORT_BIN` set for a non-host target;
 * - 4: a compiled executable's header does not match its target, or the host
 *   executable does not answer `--version` as the gateway;
 * - 5: project inputs missing or inconsistent (Deno version, `main.ts`,
 *   `LICENSE`, `NOTICE`, `ui/`).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, fromFileUrl, join, resolve } from "@std/path";
import {
  BUILD_INFO_FILE,
  type BuildInfo,
  checkExecutable,
  compileArgs,
  decideBase,
  ENTRY_POINT,
  EXIT_CODES,
  formatBuildDate,
  formatChecksums,
  GZIP_ARGS,
  isMissingBaseOutput,
  PACKAGED_FILES,
  parseEpoch,
  parseReleaseArgs,
  releaseLayout,
  type ReleaseOptions,
  renderBuildInfo,
  tarArgs,
  USAGE,
  UsageError,
  zipArgs,
  zipMembers,
} from "./release_lib.ts";
import {
  denortCachePath,
  denortDownloadUrl,
  executableName,
  hostTarget,
  osArch,
  type Target,
} from "./targets.ts";

/** Name of the checksum file in the output directory. */
export const CHECKSUMS_FILE = "sha256sums.txt";

/** Modification time used when neither `SOURCE_DATE_EPOCH` nor git gives one (1980-01-01, zip's epoch). */
export const FALLBACK_EPOCH = 315532800;

/** Seconds to wait for the download server in the preflight. */
const PROBE_TIMEOUT_MS = 5000;

/** The repository root (parent of `scripts/`). */
export const REPO_ROOT: string = resolve(fromFileUrl(new URL("..", import.meta.url)));

/** A command that exited with a non-zero status. */
export class CommandError extends Error {
  /** Creates the error from the command and its output. */
  constructor(readonly command: string, readonly code: number, readonly output: string) {
    super(`Command failed with exit code ${code}: ${command}\n${output}`);
    this.name = "CommandError";
  }
}

/** Stops the release with an exit code and a message. */
export class ReleaseError extends Error {
  /** Creates the error. */
  constructor(readonly exitCode: number, message: string) {
    super(message);
    this.name = "ReleaseError";
  }
}

/** What a finished command printed. */
export interface CommandResult {
  /** Exit code. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/**
 * Quotes a command line for display, shell style.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @returns One line a shell would run the same way.
 */
export function shellLine(cmd: string, args: readonly string[]): string {
  const q = (s: string): string =>
    /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
  return [cmd, ...args].map(q).join(" ");
}

/**
 * Runs a command to completion and collects its output.
 *
 * @param cmd Program.
 * @param args Arguments.
 * @param options Working directory and extra environment.
 * @returns Exit code and output; never throws for a non-zero exit.
 */
export async function runCommand(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<CommandResult> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    cwd: options.cwd,
    env: options.env,
    signal: options.signal,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function mustRun(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  const result = await runCommand(cmd, args, options);
  if (result.code !== 0) {
    throw new CommandError(shellLine(cmd, args), result.code, result.stdout + result.stderr);
  }
  return result;
}

/**
 * SHA-256 of a file, read as a stream.
 *
 * @param path The file.
 * @returns Lowercase hex digest.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Reads the first bytes of a file (for the executable header check).
 *
 * @param path The file.
 * @param length How many bytes at most.
 * @returns The bytes read.
 */
export async function readHead(path: string, length = 65536): Promise<Uint8Array> {
  using file = await Deno.open(path);
  const buf = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(buf.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return buf.subarray(0, filled);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

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
      if (archive.endsWith(".tar.gz")) {
        const tarFile = path.slice(0, -".gz".length);
        await mustRun("tar", tarArgs(tarFile, staging, layout.dir, options.epoch), {
          env: { LC_ALL: "C" },
        });
        await mustRun("gzip", [...GZIP_ARGS, tarFile]);
      } else {
        await mustRun("zip", zipArgs(path, zipMembers(layout)), {
          cwd: staging,
          env: { TZ: "UTC", LC_ALL: "C" },
        });
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

/**
 * Collects build info from git, the environment and the clock.
 *
 * @param root Repository root.
 * @param epoch `SOURCE_DATE_EPOCH` if set (then used as the build date).
 * @returns The build info.
 */
export async function collectBuildInfo(
  root: string,
  epoch: number | undefined,
): Promise<BuildInfo> {
  const git = async (...args: string[]): Promise<string> => {
    const r = await runCommand("git", args, { cwd: root }).catch(() => undefined);
    return r?.code === 0 ? r.stdout.trim() : "unknown";
  };
  let host = "unknown";
  try {
    host = Deno.hostname();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
  }
  const user = Deno.env.get("USER") ?? Deno.env.get("LOGNAME") ?? "unknown";
  return {
    revision: await git("rev-parse", "HEAD"),
    branch: await git("rev-parse", "--abbrev-ref", "HEAD"),
    buildUser: `${user}@${host}`,
    buildDate: formatBuildDate(epoch === undefined ? new Date() : new Date(epoch * 1000)),
    tags: "unknown",
  };
}

/**
 * The archive time stamp: `SOURCE_DATE_EPOCH`, else the commit time of `HEAD`,
 * else {@link FALLBACK_EPOCH}.
 *
 * @param root Repository root.
 * @param sourceDateEpoch Parsed `SOURCE_DATE_EPOCH`.
 * @returns Seconds since 1970 and where they came from.
 */
export async function releaseEpoch(
  root: string,
  sourceDateEpoch: number | undefined,
): Promise<{ epoch: number; from: string }> {
  if (sourceDateEpoch !== undefined) return { epoch: sourceDateEpoch, from: "SOURCE_DATE_EPOCH" };
  const r = await runCommand("git", ["log", "-1", "--format=%ct"], { cwd: root }).catch(() =>
    undefined
  );
  const ct = r?.code === 0 ? parseEpoch(r.stdout.trim()) : undefined;
  return ct === undefined
    ? { epoch: FALLBACK_EPOCH, from: "fixed fallback" }
    : { epoch: ct, from: "commit time of HEAD" };
}

/**
 * Writes `build_info.json` for the duration of `body`, then restores what was
 * there before (or removes it).
 *
 * @param root Repository root.
 * @param info The build info.
 * @param body Work to do meanwhile.
 * @returns What `body` returns.
 */
export async function withBuildInfo<T>(
  root: string,
  info: BuildInfo,
  body: () => Promise<T>,
): Promise<T> {
  const path = join(root, BUILD_INFO_FILE);
  let previous: Uint8Array | undefined;
  try {
    previous = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.writeTextFile(path, renderBuildInfo(info));
  try {
    return await body();
  } finally {
    if (previous === undefined) await Deno.remove(path);
    else await Deno.writeFile(path, previous);
  }
}

/**
 * Compiles one target and checks the result.
 *
 * @param root Repository root (working directory of `deno compile`).
 * @param target The target.
 * @param output Output path, with `.exe` on Windows.
 * @returns `deno compile`'s output.
 * @throws {ReleaseError} When the base is missing (3) or the header is wrong (4).
 * @throws {CommandError} When the compile fails otherwise.
 */
export async function compileTarget(root: string, target: Target, output: string): Promise<string> {
  const args = compileArgs({ target, output });
  console.error(`>   ${shellLine("deno", args)}`);
  const result = await runCommand(Deno.execPath(), args, {
    cwd: root,
    env: { RUST_BACKTRACE: "0" },
  });
  const text = result.stdout + result.stderr;
  if (result.code !== 0) {
    if (isMissingBaseOutput(text)) {
      throw new ReleaseError(
        EXIT_CODES.baseUnavailable,
        `No runtime base for ${target.triple}:\n${text}`,
      );
    }
    throw new CommandError(shellLine("deno", args), result.code, text);
  }
  const mismatch = checkExecutable(await readHead(output), target);
  if (mismatch !== undefined) throw new ReleaseError(EXIT_CODES.verifyFailed, mismatch);
  return text;
}

/**
 * Runs a host executable's `--version` and checks that it is the gateway
 * (a full deno CLI given as `DENORT_BIN` would print Deno's own version).
 *
 * @param executable The compiled executable.
 * @throws {ReleaseError} With {@link EXIT_CODES.verifyFailed} when it is not.
 */
export async function smokeTest(executable: string): Promise<void> {
  const r = await runCommand(executable, ["--version"], { signal: AbortSignal.timeout(60_000) });
  const text = r.stdout + r.stderr;
  if (r.code !== 0 || !text.includes("pushgateway, version")) {
    throw new ReleaseError(
      EXIT_CODES.verifyFailed,
      `${executable} --version did not print "pushgateway, version" (exit ${r.code}):\n${text}`,
    );
  }
}

interface Project {
  readonly version: string;
  readonly denoPin: string;
  readonly missing: string[];
}

async function readProject(root: string): Promise<Project> {
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))) as {
    version?: unknown;
  };
  if (typeof config.version !== "string" || config.version === "") {
    throw new ReleaseError(EXIT_CODES.inputs, 'deno.json has no "version"');
  }
  const denoPin = (await Deno.readTextFile(join(root, ".deno-version"))).trim();
  const missing: string[] = [];
  if (Deno.version.deno !== denoPin) {
    missing.push(`Deno ${Deno.version.deno} is running but .deno-version pins ${denoPin}`);
  }
  for (const path of [ENTRY_POINT, ...PACKAGED_FILES, "ui"]) {
    if (!await exists(join(root, path))) missing.push(`missing ${path}`);
  }
  return { version: config.version, denoPin, missing };
}

async function printPlan(
  options: ReleaseOptions,
  project: Project,
  epoch: { epoch: number; from: string },
  cacheDir: string,
): Promise<void> {
  const out = options.out;
  const denortBin = Deno.env.get("DENORT_BIN") || undefined;
  const lines = [
    `pushgateway ${project.version} release plan (Deno ${project.denoPin})${
      options.dryRun ? ", dry run" : ""
    }`,
    `targets: ${options.targets.map(osArch).join(" ")}`,
    `output: ${out}/   mtime: @${epoch.epoch} (${epoch.from})`,
    ...project.missing.map((m) => `warning: ${m}`),
  ];
  for (const target of options.targets) {
    const layout = releaseLayout(project.version, target);
    const cache = denortCachePath(cacheDir, project.denoPin, target);
    const base = denortBin !== undefined
      ? `DENORT_BIN=${denortBin}`
      : `cache ${cache} (${(await exists(cache)) ? "present" : "absent"}), else download`;
    const exe = `<staging>/${target.triple}/${executableName(target)}`;
    lines.push(
      "",
      `${osArch(target)} (${target.triple})`,
      `  base:     ${base}`,
      `  compile:  ${shellLine("deno", compileArgs({ target, output: exe }))}`,
      `  check:    header of ${executableName(target)} matches ${target.triple}`,
      `  layout:   ${layout.dir}/{${layout.files.join(",")}}`,
    );
    for (const archive of layout.archives) {
      const cmd = archive.endsWith(".zip")
        ? `cd '<staging>' && TZ=UTC ${
          shellLine("zip", zipArgs(`${out}/${archive}`, zipMembers(layout)))
        }`
        : `${
          shellLine(
            "tar",
            tarArgs(`${out}/${layout.dir}.tar`, "<staging>", layout.dir, epoch.epoch),
          )
        } && ${shellLine("gzip", [...GZIP_ARGS, `${out}/${layout.dir}.tar`])}`;
      lines.push(`  archive:  ${out}/${archive}`, `            ${cmd}`);
    }
  }
  lines.push("", `checksums: ${out}/sha256sums.txt`);
  console.log(lines.join("\n"));
}

/**
 * The release script's main routine.
 *
 * @param args Command-line arguments.
 * @returns The exit code (see the module documentation).
 */
export async function release(args: readonly string[]): Promise<number> {
  let options: ReleaseOptions;
  let sourceDateEpoch: number | undefined;
  try {
    options = parseReleaseArgs(args);
    sourceDateEpoch = parseEpoch(Deno.env.get("SOURCE_DATE_EPOCH"));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`release: ${e.message}\n\n${USAGE}`);
    return EXIT_CODES.usage;
  }
  if (options.help) {
    console.log(USAGE);
    return EXIT_CODES.ok;
  }
  const root = REPO_ROOT;
  try {
    const project = await readProject(root);
    const epoch = await releaseEpoch(root, sourceDateEpoch);
    const cacheDir = await denoDir();
    await printPlan(options, project, epoch, cacheDir);
    if (options.dryRun) return EXIT_CODES.ok;
    if (project.missing.length > 0) {
      throw new ReleaseError(EXIT_CODES.inputs, `Cannot release: ${project.missing.join("; ")}`);
    }
    const notes = await preflight({
      targets: options.targets,
      denoVersion: project.denoPin,
      denoDir: cacheDir,
      denortBin: Deno.env.get("DENORT_BIN") || undefined,
    });
    for (const note of notes) console.error(`base: ${note}`);

    const host = hostTarget(Deno.build.os, Deno.build.arch);
    const staging = await Deno.makeTempDir({ prefix: "pushgateway-compile-" });
    try {
      const info = await collectBuildInfo(root, sourceDateEpoch);
      const built = await withBuildInfo(root, info, async () => {
        const paths = new Map<Target, string>();
        for (const target of options.targets) {
          const output = join(staging, target.triple, executableName(target));
          await compileTarget(root, target, output);
          if (target === host) await smokeTest(output);
          paths.set(target, output);
        }
        return paths;
      });
      const files = PACKAGED_FILES.map((f) => join(root, f));
      const outDir = resolve(root, options.out);
      for (const [target, executable] of built) {
        const archives = await packageTarget({
          version: project.version,
          target,
          executable,
          files,
          outDir,
          epoch: epoch.epoch,
        });
        for (const a of archives) console.error(` >   ${a}`);
      }
      console.error(` >   ${await writeChecksums(outDir)}`);
    } finally {
      await Deno.remove(staging, { recursive: true });
    }
    return EXIT_CODES.ok;
  } catch (e) {
    if (e instanceof ReleaseError) {
      console.error(`release: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof CommandError) {
      console.error(`release: ${e.message}`);
      return EXIT_CODES.failure;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await release(Deno.args));
}
