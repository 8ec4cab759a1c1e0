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

import { exists } from "@std/fs";
import { join, resolve } from "@std/path";
import {
  archiveCommands,
  BUILD_INFO_FILE,
  type BuildInfo,
  checkExecutable,
  compileArgs,
  ENTRY_POINT,
  EXIT_CODES,
  formatBuildDate,
  isMissingBaseOutput,
  PACKAGED_FILES,
  parseEpoch,
  parseReleaseArgs,
  releaseLayout,
  type ReleaseOptions,
  renderBuildInfo,
  USAGE,
  UsageError,
} from "./release_lib.ts";
import { denortCachePath, executableName, hostTarget, osArch, type Target } from "./targets.ts";
import {
  CommandError,
  readHead,
  ReleaseError,
  REPO_ROOT,
  runCommand,
  shellLine,
} from "./release_io.ts";
import { packageTarget, writeChecksums } from "./release_package.ts";
import { denoDir, preflight } from "./release_preflight.ts";

/** Modification time used when neither `SOURCE_DATE_EPOCH` nor git gives one (1980-01-01, zip's epoch). */
export const FALLBACK_EPOCH = 315532800;

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
      const cmd = archiveCommands(archive, layout, out, "<staging>", epoch.epoch).map((c) => {
        const env = Object.entries(c.env).map(([k, v]) => `${k}=${v} `).join("");
        return `${c.cwd !== undefined ? `cd '${c.cwd}' && ` : ""}${env}${shellLine(c.cmd, c.args)}`;
      }).join(" && ");
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
