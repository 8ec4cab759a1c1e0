/**
 * Release targets: Deno's compile target triples and the names upstream's
 * release tooling (promu) gives the same platforms.
 *
 * Upstream names an archive `<name>-<version>.<goos>-<goarch>.tar.gz`, holding
 * one directory of the same name; Windows builds get an `.exe` suffix and, in
 * current promu, a `.zip` archive beside the tarball.
 *
 * @module
 */

/** Operating systems, spelled the way Go's `GOOS` spells them. */
export type TargetOs = "linux" | "darwin" | "windows";

/** Architectures, spelled the way Go's `GOARCH` spells them. */
export type TargetArch = "amd64" | "arm64";

/** The CPU name used in Deno's target triples. */
export type TripleArch = "x86_64" | "aarch64";

/** One platform a release is built for. */
export interface Target {
  /** Deno's `--target` value, e.g. `x86_64-unknown-linux-gnu`. */
  readonly triple: string;
  /** Go-style operating system name. */
  readonly os: TargetOs;
  /** Go-style architecture name. */
  readonly arch: TargetArch;
  /** CPU name as it appears in the triple. */
  readonly cpu: TripleArch;
}

/** Kinds of archive a release ships. */
export type ArchiveKind = "tar.gz" | "zip";

/** The program's name: archive prefix and executable name. */
export const PROGRAM_NAME = "pushgateway";

/** Every target `deno compile` 2.9.6 supports, in release order. */
export const TARGETS: readonly Target[] = [
  { triple: "x86_64-unknown-linux-gnu", os: "linux", arch: "amd64", cpu: "x86_64" },
  { triple: "aarch64-unknown-linux-gnu", os: "linux", arch: "arm64", cpu: "aarch64" },
  { triple: "x86_64-apple-darwin", os: "darwin", arch: "amd64", cpu: "x86_64" },
  { triple: "aarch64-apple-darwin", os: "darwin", arch: "arm64", cpu: "aarch64" },
  { triple: "x86_64-pc-windows-msvc", os: "windows", arch: "amd64", cpu: "x86_64" },
  { triple: "aarch64-pc-windows-msvc", os: "windows", arch: "arm64", cpu: "aarch64" },
];

/**
 * The Go-style `<os>-<arch>` name of a target.
 *
 * @param target The target.
 * @returns For example `linux-amd64`.
 */
export function osArch(target: Target): string {
  return `${target.os}-${target.arch}`;
}

/**
 * Finds a target by its Deno triple or its `<os>-<arch>` name.
 *
 * @param name `x86_64-unknown-linux-gnu`, `linux-amd64`, … (surrounding spaces ignored).
 * @returns The target.
 * @throws {RangeError} When the name is neither.
 */
export function parseTarget(name: string): Target {
  const wanted = name.trim();
  const found = TARGETS.find((t) => t.triple === wanted || osArch(t) === wanted);
  if (found === undefined) {
    const known = TARGETS.map((t) => `${osArch(t)} (${t.triple})`).join(", ");
    throw new RangeError(`Unknown target "${wanted}": expected one of ${known}`);
  }
  return found;
}

/**
 * Parses repeated and comma-separated target names into a list without
 * duplicates, in release order. An empty input means every target.
 *
 * @param values Values of the repeated `--target` flag, each possibly a comma list.
 * @returns The selected targets.
 * @throws {RangeError} On an unknown name or an empty item.
 */
export function parseTargetList(values: readonly string[]): Target[] {
  const names = values.flatMap((v) => v.split(","));
  if (names.length === 0) return [...TARGETS];
  const picked = new Set<Target>();
  for (const name of names) {
    if (name.trim() === "") throw new RangeError("Empty target name in --target");
    picked.add(parseTarget(name));
  }
  return TARGETS.filter((t) => picked.has(t));
}

/**
 * The target matching a host, as reported by `Deno.build`.
 *
 * @param os `Deno.build.os`.
 * @param arch `Deno.build.arch`.
 * @returns The target, or `undefined` for a host Deno cannot compile for.
 */
export function hostTarget(os: string, arch: string): Target | undefined {
  return TARGETS.find((t) => t.os === os && t.cpu === arch);
}

/**
 * The executable's file name on a target: `.exe` on Windows, as promu does.
 *
 * @param target The target.
 * @returns `pushgateway` or `pushgateway.exe`.
 */
export function executableName(target: Target): string {
  return target.os === "windows" ? `${PROGRAM_NAME}.exe` : PROGRAM_NAME;
}

/**
 * The name of a release's top directory, which is also the archive name
 * without its extension.
 *
 * @param version Release version, e.g. `0.1.0`.
 * @param target The target.
 * @returns For example `pushgateway-0.1.0.linux-amd64`.
 */
export function releaseDirName(version: string, target: Target): string {
  return `${PROGRAM_NAME}-${version}.${osArch(target)}`;
}

/**
 * The archive kinds shipped for a target: a tarball everywhere, plus a zip on
 * Windows (promu's `tarball` command does the same, since Windows has no tar
 * by default).
 *
 * @param target The target.
 * @returns `["tar.gz"]` or `["tar.gz", "zip"]`.
 */
export function archiveKinds(target: Target): ArchiveKind[] {
  return target.os === "windows" ? ["tar.gz", "zip"] : ["tar.gz"];
}

/**
 * The file names of a target's archives.
 *
 * @param version Release version.
 * @param target The target.
 * @returns For example `["pushgateway-0.1.0.linux-amd64.tar.gz"]`.
 */
export function archiveNames(version: string, target: Target): string[] {
  return archiveKinds(target).map((kind) => `${releaseDirName(version, target)}.${kind}`);
}

/**
 * The file name of Deno's runtime base for a target.
 *
 * @param target The target.
 * @returns For example `denort-x86_64-unknown-linux-gnu.zip`.
 */
export function denortZipName(target: Target): string {
  return `denort-${target.triple}.zip`;
}

/**
 * Where `deno compile` downloads the runtime base from.
 *
 * @param denoVersion Deno version without `v`, e.g. `2.9.6`.
 * @param target The target.
 * @returns The download URL.
 */
export function denortDownloadUrl(denoVersion: string, target: Target): string {
  return `https://dl.deno.land/release/v${denoVersion}/${denortZipName(target)}`;
}

/**
 * Where `deno compile` caches the runtime base (used without any check when present).
 *
 * @param denoDir Deno's cache directory (`deno info --json` → `denoDir`).
 * @param denoVersion Deno version without `v`.
 * @param target The target.
 * @returns The cache path.
 */
export function denortCachePath(denoDir: string, denoVersion: string, target: Target): string {
  const dir = denoDir.replace(/\/+$/, "");
  return `${dir}/dl/release/v${denoVersion}/${denortZipName(target)}`;
}
