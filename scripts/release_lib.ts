/**
 * Pure helpers of the release script: command-line options, build info, the
 * `deno compile` and archiver command lines, the archive layout, the checksum
 * file, the runtime-base decision and the executable header check. Nothing
 * here touches the disk, the network or the clock.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { POSTGRES_ENV } from "@lib/store/postgres/client.ts";
import {
  archiveNames,
  denortZipName,
  executableName,
  parseTargetList,
  releaseDirName,
  type Target,
  type TargetOs,
  type TripleArch,
} from "./targets.ts";

/** Exit codes of `scripts/release.ts`. */
export const EXIT_CODES = {
  /** Everything built (or the dry-run plan printed). */
  ok: 0,
  /** A command failed (compile, tar, zip, git…); its output is shown. */
  failure: 1,
  /** Bad command line. */
  usage: 2,
  /** No runtime base (denort) for a target: no download, no cache, no usable `DENORT_BIN`. */
  baseUnavailable: 3,
  /** A compiled executable is not for its target, or does not run as the gateway. */
  verifyFailed: 4,
  /** Project inputs missing or inconsistent: LICENSE/NOTICE, main.ts, Deno version ≠ `.deno-version`. */
  inputs: 5,
} as const;

/** The program's entry point, relative to the repository root. */
export const ENTRY_POINT = "main.ts";

/** Files and directories embedded with `--include` (relative to the repository root). */
export const EMBEDDED_PATHS: readonly string[] = ["deno.json", "build_info.json", "ui/"];

/** Files shipped next to the executable in every archive, like upstream's `.promu.yml`. */
export const PACKAGED_FILES: readonly string[] = ["LICENSE", "NOTICE"];

/** The build info file written before compiling and removed afterwards. */
export const BUILD_INFO_FILE = "build_info.json";

/**
 * Permissions baked into the compiled gateway. Narrow on purpose: network,
 * files (persistence file, web config, TLS keys, UI assets), the two
 * environment variables the `yaml` package reads and those the PostgreSQL
 * client of the shared store may read (`POSTGRES_ENV`: libpq's `PG*` names,
 * the OS user name). No `--allow-sys`: nothing
 * calls `Deno.hostname()`, `Deno.loadavg()` or the like. Deno 2.9.6 refuses
 * `/proc/self/*` to anything but `--allow-all`, so the `/proc`-based process
 * metrics are left out under these permissions (`Deno.memoryUsage()` and
 * `process.cpuUsage()` need none).
 */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  `--allow-env=${["LOG_TOKENS", "LOG_STREAM", ...POSTGRES_ENV].join(",")}`,
];

/**
 * V8 flags baked into the compiled gateway, the same as `deno task start` sets: `--expose-gc` lets
 * the gateway give the heap a restore or a burst of pushes grew back to the system (`lib/heap.ts`,
 * `lib/heap_trim.ts`); `--min-semi-space-size=4` keeps the young generation that compaction leaves
 * at 4 MiB per semi-space rather than V8's 1, so that the next burst of pushes does not run with a
 * tiny one (8 connections right after a compaction: 2,583–2,940 pushes/s without it, 3,012–4,297
 * with it, 2,965–4,274 before the trimmer compacted that soon; idle RSS +0.5 MiB).
 */
export const V8_FLAGS: readonly string[] = ["--expose-gc", "--min-semi-space-size=4"];

/** Options of `scripts/release.ts`. */
export interface ReleaseOptions {
  /** Targets to build, in release order. */
  readonly targets: Target[];
  /** Print the plan and exit. */
  readonly dryRun: boolean;
  /** Output directory for archives and `sha256sums.txt`. */
  readonly out: string;
  /** `--help` was given. */
  readonly help: boolean;
}

/** The usage text of `scripts/release.ts`. */
export const USAGE = `usage: deno task release [--target <t>[,<t>...]]... [--out <dir>] [--dry-run]

  --target   Deno triple (x86_64-unknown-linux-gnu) or os-arch name (linux-amd64);
             repeatable or comma-separated; default: every target
  --out      output directory (default: dist)
  --dry-run  print targets, commands and output names, build nothing
  -h, --help this text
`;

/** A command-line error (exit code {@link EXIT_CODES.usage}). */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses the release script's arguments.
 *
 * @param args `Deno.args`.
 * @returns The options.
 * @throws {UsageError} On an unknown flag, a stray argument, a missing value or an unknown target.
 */
export function parseReleaseArgs(args: readonly string[]): ReleaseOptions {
  const unknown: string[] = [];
  const parsed = parseArgs([...args], {
    string: ["target", "out"],
    boolean: ["dry-run", "help"],
    collect: ["target"],
    alias: { h: "help" },
    default: { out: "dist" },
    unknown: (arg: string): boolean => {
      unknown.push(arg);
      return false;
    },
  });
  if (unknown.length > 0) throw new UsageError(`Unknown argument: ${unknown.join(" ")}`);
  if (parsed.out === "") throw new UsageError("Flag --out needs a directory");
  let targets: Target[];
  try {
    targets = parseTargetList(parsed.target);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  return { targets, dryRun: parsed["dry-run"], out: parsed.out, help: parsed.help };
}

/** The build metadata embedded as `build_info.json` (prometheus/common `version` fields). */
export interface BuildInfo {
  /** Git commit hash. */
  readonly revision: string;
  /** Git branch. */
  readonly branch: string;
  /** `user@host` of the build. */
  readonly buildUser: string;
  /** Build date, `YYYYMMDD-HH:MM:SS` in UTC. */
  readonly buildDate: string;
  /** Build tags; always `unknown` (Go build tags have no equivalent). */
  readonly tags: string;
}

/**
 * Formats a build date the way promu does (Go layout `20060102-15:04:05`, UTC).
 *
 * @param date The date.
 * @returns For example `20260315-09:04:05`.
 */
export function formatBuildDate(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`;
}

/**
 * Renders `build_info.json`.
 *
 * @param info The build info.
 * @returns JSON text with a trailing newline, keys in a fixed order.
 */
export function renderBuildInfo(info: BuildInfo): string {
  const { revision, branch, buildUser, buildDate, tags } = info;
  return JSON.stringify({ revision, branch, buildUser, buildDate, tags }, null, 2) + "\n";
}

/**
 * Reads `SOURCE_DATE_EPOCH`-style text as whole seconds since 1970.
 *
 * @param text The variable's value, or `undefined`.
 * @returns The seconds, or `undefined` when unset or empty.
 * @throws {UsageError} When set to something other than a non-negative integer.
 */
export function parseEpoch(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  if (!/^\d+$/.test(text.trim())) {
    throw new UsageError(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${text}"`);
  }
  return Number(text.trim());
}

/** Inputs of {@link compileArgs}. */
export interface CompileArgsOptions {
  /** The target. */
  readonly target: Target;
  /** Output path of the executable, including `.exe` on Windows. */
  readonly output: string;
  /** Entry point; default {@link ENTRY_POINT}. */
  readonly entry?: string;
  /** `--include` paths; default {@link EMBEDDED_PATHS}. */
  readonly include?: readonly string[];
  /** Runtime permissions; default {@link RUNTIME_PERMISSIONS}. */
  readonly permissions?: readonly string[];
  /** V8 flags; default {@link V8_FLAGS}. */
  readonly v8Flags?: readonly string[];
}

/**
 * The arguments of `deno` for compiling one target.
 *
 * @param options What to compile and where.
 * @returns Arguments starting with `compile`.
 */
export function compileArgs(options: CompileArgsOptions): string[] {
  const include = options.include ?? EMBEDDED_PATHS;
  const v8 = options.v8Flags ?? V8_FLAGS;
  return [
    "compile",
    // deno.lock also records the test-only npm packages (playwright-core,
    // prom-client), and Deno 2.9.6's compile embeds every npm package the lock
    // resolves (prom-client even makes it overflow its stack). The release
    // resolves the runtime graph alone, from the exact versions deno.json pins.
    "--no-lock",
    // SO_REUSEPORT (Deno's `reusePort`): a TLS listener is replaced without a moment where the
    // port is closed (lib/web/listen.ts). deno.json enables it too; said here so it cannot be lost.
    "--unstable-net",
    "--target",
    options.target.triple,
    "--output",
    options.output,
    ...include.flatMap((path) => ["--include", path]),
    ...(options.permissions ?? RUNTIME_PERMISSIONS),
    ...(v8.length > 0 ? [`--v8-flags=${v8.join(",")}`] : []),
    options.entry ?? ENTRY_POINT,
  ];
}

/** What one target's archives contain. */
export interface ReleaseLayout {
  /** The top directory, e.g. `pushgateway-0.1.0.linux-amd64`. */
  readonly dir: string;
  /** The executable's name inside `dir`. */
  readonly executable: string;
  /** Every file inside `dir`, sorted by name. */
  readonly files: readonly string[];
  /** Archive file names, tarball first. */
  readonly archives: readonly string[];
}

/**
 * The layout of one target's release.
 *
 * @param version Release version.
 * @param target The target.
 * @param extraFiles Files shipped beside the executable (base names); default {@link PACKAGED_FILES}.
 * @returns The layout.
 */
export function releaseLayout(
  version: string,
  target: Target,
  extraFiles: readonly string[] = PACKAGED_FILES,
): ReleaseLayout {
  const executable = executableName(target);
  const files = [...new Set([executable, ...extraFiles])].sort(compareBytes);
  return {
    dir: releaseDirName(version, target),
    executable,
    files,
    archives: archiveNames(version, target),
  };
}

/**
 * The member names `tar -tzf` lists for a layout: the directory, then its files.
 *
 * @param layout The layout.
 * @returns Sorted member names.
 */
export function tarMembers(layout: ReleaseLayout): string[] {
  return [`${layout.dir}/`, ...layout.files.map((f) => `${layout.dir}/${f}`)];
}

/**
 * The member names of the zip archive: files only, no directory entries (as promu writes).
 *
 * @param layout The layout.
 * @returns Sorted member names.
 */
export function zipMembers(layout: ReleaseLayout): string[] {
  return layout.files.map((f) => `${layout.dir}/${f}`);
}

/**
 * GNU tar arguments for a reproducible, uncompressed tarball of `dir`
 * (compress it afterwards with `gzip -n`).
 *
 * @param tarFile Output `.tar` path.
 * @param parent Directory holding `dir`.
 * @param dir The release directory's name.
 * @param epoch Modification time for every member, seconds since 1970.
 * @returns Arguments for `tar`.
 */
export function tarArgs(tarFile: string, parent: string, dir: string, epoch: number): string[] {
  return [
    "--create",
    "--format=gnu",
    `--file=${tarFile}`,
    `--directory=${parent}`,
    "--sort=name",
    `--mtime=@${epoch}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mode=u=rwX,go=rX",
    dir,
  ];
}

/** gzip arguments that leave out the file name and time stamp (so output is reproducible). */
export const GZIP_ARGS: readonly string[] = ["-n", "-9", "--force"];

/**
 * Info-ZIP arguments for a reproducible zip: no extra attributes (`-X` drops
 * uid/gid and the extended time stamps), no directory entries, members in the
 * given order. Run it in the parent of `dir`, with `TZ=UTC` and every file's
 * mtime set to the release epoch.
 *
 * @param zipFile Output path (absolute).
 * @param members Member paths relative to the working directory, in order.
 * @returns Arguments for `zip`.
 */
export function zipArgs(zipFile: string, members: readonly string[]): string[] {
  return ["-X", "-D", "-9", "-q", zipFile, ...members];
}

/** One archiver command of the packaging step. */
export interface ArchiveCommand {
  /** Program. */
  readonly cmd: string;
  /** Arguments. */
  readonly args: readonly string[];
  /** Working directory, when it matters. */
  readonly cwd?: string;
  /** Extra environment. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The commands that write `archive` (a name from `layout.archives`) into `outDir` from the
 * directory `layout.dir` under `staging`: tar then gzip, or zip. The packaging step runs them and
 * the dry-run plan prints them, so the two cannot drift apart.
 *
 * @param archive The archive's file name.
 * @param layout The target's layout.
 * @param outDir Directory receiving the archive.
 * @param staging Directory holding `layout.dir`.
 * @param epoch Modification time of every member, seconds since 1970.
 * @returns The commands, in order.
 */
export function archiveCommands(
  archive: string,
  layout: ReleaseLayout,
  outDir: string,
  staging: string,
  epoch: number,
): ArchiveCommand[] {
  const path = `${outDir}/${archive}`;
  if (archive.endsWith(".tar.gz")) {
    const tarFile = path.slice(0, -".gz".length);
    return [
      { cmd: "tar", args: tarArgs(tarFile, staging, layout.dir, epoch), env: { LC_ALL: "C" } },
      { cmd: "gzip", args: [...GZIP_ARGS, tarFile], env: {} },
    ];
  }
  return [{
    cmd: "zip",
    args: zipArgs(path, zipMembers(layout)),
    cwd: staging,
    env: { TZ: "UTC", LC_ALL: "C" },
  }];
}

/** One line of `sha256sums.txt`. */
export interface Checksum {
  /** File name relative to the checksum file. */
  readonly file: string;
  /** Lowercase hex SHA-256. */
  readonly sha256: string;
}

/**
 * Renders `sha256sums.txt` the way promu does (`<hex>  <file>`, as
 * `sha256sum` writes and `sha256sum -c` reads), sorted by file name.
 *
 * @param sums The checksums.
 * @returns The file's text, one line per file, each ending in a newline.
 * @throws {RangeError} On a digest that is not 64 hex digits or a name with a newline.
 */
export function formatChecksums(sums: readonly Checksum[]): string {
  return [...sums].sort((a, b) => compareBytes(a.file, b.file)).map(({ file, sha256 }) => {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError(`Invalid SHA-256 digest: ${sha256}`);
    if (/[\n\r\\]/.test(file) || file === "") throw new RangeError(`Invalid file name: ${file}`);
    return `${sha256}  ${file}\n`;
  }).join("");
}

/**
 * Parses `sha256sums.txt` text.
 *
 * @param text The file's text.
 * @returns The checksums in file order.
 * @throws {SyntaxError} On a malformed line.
 */
export function parseChecksums(text: string): Checksum[] {
  return text.split("\n").filter((l) => l !== "").map((line, i) => {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m === null) throw new SyntaxError(`Malformed checksum line ${i + 1}: ${line}`);
    return { sha256: m[1]!, file: m[2]! };
  });
}

/** Executable container formats, by the OS that runs them. */
export type ExecutableFormat = "ELF" | "Mach-O" | "PE";

/** What an executable's header says. */
export interface ExecutableInfo {
  /** Container format. */
  readonly format: ExecutableFormat;
  /** CPU, as in Deno triples (`x86_64`, `aarch64`), or a description of another one. */
  readonly cpu: TripleArch | string;
}

const FORMAT_OF_OS: Record<TargetOs, ExecutableFormat> = {
  linux: "ELF",
  darwin: "Mach-O",
  windows: "PE",
};

const ELF_MACHINES: Record<number, TripleArch> = { 0x3e: "x86_64", 0xb7: "aarch64" };
const MACHO_CPUS: Record<number, TripleArch> = { 0x01000007: "x86_64", 0x0100000c: "aarch64" };
const PE_MACHINES: Record<number, TripleArch> = { 0x8664: "x86_64", 0xaa64: "aarch64" };

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * Reads the format and CPU from the first bytes of an executable (64 KiB is plenty).
 *
 * @param bytes The start of the file.
 * @returns What the header says, or `undefined` when it is no ELF, Mach-O (thin) or PE file.
 */
export function inspectExecutable(bytes: Uint8Array): ExecutableInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (n: number): boolean => bytes.byteLength >= n;
  if (has(20) && view.getUint32(0) === 0x7f454c46) {
    const little = bytes[5] === 1;
    const machine = view.getUint16(18, little);
    return { format: "ELF", cpu: ELF_MACHINES[machine] ?? `e_machine ${hex(machine)}` };
  }
  if (has(8)) {
    const magic = view.getUint32(0, true);
    if (magic === 0xfeedfacf || magic === 0xfeedface) {
      const cpu = view.getUint32(4, true);
      return { format: "Mach-O", cpu: MACHO_CPUS[cpu] ?? `cputype ${hex(cpu)}` };
    }
    const magicBe = view.getUint32(0, false);
    if (magicBe === 0xfeedfacf || magicBe === 0xfeedface) {
      const cpu = view.getUint32(4, false);
      return { format: "Mach-O", cpu: MACHO_CPUS[cpu] ?? `cputype ${hex(cpu)}` };
    }
  }
  if (has(0x40) && bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const peOffset = view.getUint32(0x3c, true);
    if (has(peOffset + 6) && view.getUint32(peOffset, false) === 0x50450000) {
      const machine = view.getUint16(peOffset + 4, true);
      return { format: "PE", cpu: PE_MACHINES[machine] ?? `machine ${hex(machine)}` };
    }
  }
  return undefined;
}

/**
 * Checks that an executable's header matches a target (`DENORT_BIN` silently
 * overrides `--target`, so the output must be checked).
 *
 * @param bytes The start of the file.
 * @param target The target it was compiled for.
 * @returns `undefined` when it matches, else a message saying what was found.
 */
export function checkExecutable(bytes: Uint8Array, target: Target): string | undefined {
  const want: ExecutableInfo = { format: FORMAT_OF_OS[target.os], cpu: target.cpu };
  const got = inspectExecutable(bytes);
  if (got !== undefined && got.format === want.format && got.cpu === want.cpu) return undefined;
  const found = got === undefined ? "no ELF, Mach-O or PE header" : `${got.format} for ${got.cpu}`;
  return `Executable for ${target.triple} should be ${want.format} for ${want.cpu}, found ${found}`;
}

/** Facts the runtime-base preflight gathers for one target. */
export interface BaseFacts {
  /** The target to compile. */
  readonly target: Target;
  /** The machine's own target, if Deno supports it. */
  readonly host: Target | undefined;
  /** Deno version the base must match. */
  readonly denoVersion: string;
  /** Value of `DENORT_BIN`, if set and non-empty. */
  readonly denortBin: string | undefined;
  /** The cached zip's path. */
  readonly cachePath: string;
  /** Whether the cached zip exists. */
  readonly cacheExists: boolean;
  /** Download URL of the base. */
  readonly downloadUrl: string;
  /** `true`/`false` when probed, with `downloadError` saying why not; `undefined` when not probed. */
  readonly downloadReachable: boolean | undefined;
  /** Why the download server did not answer. */
  readonly downloadError?: string;
}

/** The preflight's verdict for one target. */
export type BaseDecision =
  | {
    readonly ok: true;
    readonly source: "DENORT_BIN" | "cache" | "download";
    readonly detail: string;
  }
  | { readonly ok: false; readonly message: string };

/**
 * Decides whether `deno compile` will find a runtime base for a target.
 * `DENORT_BIN` is honoured for the host target only; otherwise the warm cache
 * or the download server must provide the base.
 *
 * @param facts What the preflight found.
 * @returns Where the base comes from, or a message explaining how to provide it.
 */
export function decideBase(facts: BaseFacts): BaseDecision {
  const { target, host, denortBin } = facts;
  if (denortBin !== undefined) {
    if (host !== undefined && host.triple === target.triple) {
      return { ok: true, source: "DENORT_BIN", detail: denortBin };
    }
    return {
      ok: false,
      message: `DENORT_BIN is set (${denortBin}) but the target ${target.triple} is not this ` +
        `machine's (${host?.triple ?? "unsupported host"}): deno compile would silently ` +
        `write a ${host?.triple ?? "host"} executable. Unset DENORT_BIN, or build only ` +
        `--target ${host?.triple ?? "<host>"} with it.`,
    };
  }
  if (facts.cacheExists) return { ok: true, source: "cache", detail: facts.cachePath };
  if (facts.downloadReachable === true) {
    return { ok: true, source: "download", detail: facts.downloadUrl };
  }
  const why = facts.downloadReachable === false
    ? `unreachable: ${facts.downloadError ?? "no answer"}`
    : "not tried";
  const zip = denortZipName(target);
  const hostHint = host !== undefined && host.triple === target.triple
    ? `  - for this host's target only: set DENORT_BIN to a denort ${facts.denoVersion} binary ` +
      `(not the full deno CLI: its output ignores the embedded program).\n`
    : "";
  return {
    ok: false,
    message: `No runtime base for ${target.triple}: deno compile needs ${zip} ` +
      `(Deno ${facts.denoVersion}).\n` +
      `  cache:    ${facts.cachePath} (absent)\n` +
      `  download: ${facts.downloadUrl} (${why})\n` +
      `Provide it in one of these ways:\n` +
      `  - run the release where ${new URL(facts.downloadUrl).host} is reachable;\n` +
      `  - warm the cache: fetch the URL above on such a machine and copy the zip to the ` +
      `cache path above (it is used without any check, so compare its sha256);\n` +
      hostHint,
  };
}

/**
 * Whether `deno compile` output says it failed only for want of the runtime base.
 *
 * @param output Its stderr (colours are ignored).
 * @returns `true` on "Setting up base binary" with a download or lookup error.
 */
export function isMissingBaseOutput(output: string): boolean {
  const text = stripAnsi(output);
  return text.includes("Setting up base binary") &&
    /error sending request|dns error|Connect|download|Could not find|404|timed out/i.test(text);
}

/**
 * Lists the files under "Embedded Files" in `deno compile` output, as full
 * paths rebuilt from the tree (`├─┬ dir` opens a level, `├── name` is a leaf).
 *
 * @param output Its stderr.
 * @returns Leaf paths, e.g. `main.ts`, `lib/*`, `.deno_compile_node_modules/localhost/yaml/2.9.1/*`.
 */
export function embeddedFiles(output: string): string[] {
  const lines = stripAnsi(output).split("\n");
  const start = lines.findIndex((l) => l.trim() === "Embedded Files");
  if (start < 0) return [];
  const names: string[] = [];
  const stack: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^(Files|Metadata|Remote modules|Size):/.test(line.trim())) break;
    const m = /^((?:[│ ] )*)[├└]─([─┬]) (.+?)(?: \([^()]*\))?$/.exec(line);
    if (m === null) continue;
    stack.length = m[1]!.length / 2;
    stack.push(m[3]!);
    if (m[2] === "─") names.push(stack.join("/"));
  }
  return names;
}

/**
 * Removes ANSI colour sequences.
 *
 * @param text Terminal output.
 * @returns Plain text.
 */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * Compares strings by UTF-16 code units, like `sort` in the C locale for ASCII.
 *
 * @param a One string.
 * @param b The other.
 * @returns Negative, zero or positive.
 */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
