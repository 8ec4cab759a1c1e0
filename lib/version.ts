/**
 * Build information, the counterpart of prometheus/common `version`.
 *
 * The version comes from `deno.json`'s `version` field; revision, branch, build
 * user, build date and tags from an optional `build_info.json` at the repository
 * root that the release script writes (and embeds with `--include`). Anything
 * missing reads `unknown`. `goVersion` holds the runtime, e.g. `deno2.9.6`, and
 * `goos`/`goarch` use Go's names (`linux`, `amd64`, `arm64`).
 *
 * @module
 */

/** The build facts shown by `--version`, `/api/v1/status` and `pushgateway_build_info`. */
export interface BuildInfo {
  /** Release version, e.g. `0.1.0`. */
  version: string;
  /** VCS revision. */
  revision: string;
  /** VCS branch. */
  branch: string;
  /** `user@host` that built the release. */
  buildUser: string;
  /** Build date, upstream style `20260527-15:09:00`. */
  buildDate: string;
  /** The runtime in Go's `go version` slot: `deno` + Deno's version. */
  goVersion: string;
  /** Operating system, Go naming. */
  goos: string;
  /** Architecture, Go naming. */
  goarch: string;
  /** Build tags. */
  tags: string;
}

/** The runtime facts {@linkcode buildInfoFrom} needs (taken from `Deno` by default). */
export interface RuntimeFacts {
  /** `Deno.version.deno`. */
  denoVersion: string;
  /** `Deno.build.os`. */
  os: string;
  /** `Deno.build.arch`. */
  arch: string;
}

const UNKNOWN = "unknown";
const GOARCH: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };

function field(obj: unknown, key: string): string {
  if (typeof obj !== "object" || obj === null) return UNKNOWN;
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === "string" && v !== "" ? v : UNKNOWN;
}

/**
 * Builds the {@linkcode BuildInfo} from the parsed JSON files; pure.
 *
 * @param denoJson Parsed `deno.json` (or `undefined` when unreadable).
 * @param buildInfoJson Parsed `build_info.json` (or `undefined` when absent).
 * @param runtime Runtime facts.
 * @returns The build information, `unknown` for anything missing.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildInfoFrom } from "@lib/version.ts";
 * const info = buildInfoFrom({ version: "0.1.0" }, undefined, {
 *   denoVersion: "2.9.6",
 *   os: "linux",
 *   arch: "x86_64",
 * });
 * assertEquals([info.version, info.goVersion, info.goarch], ["0.1.0", "deno2.9.6", "amd64"]);
 * ```
 */
export function buildInfoFrom(
  denoJson: unknown,
  buildInfoJson: unknown,
  runtime: RuntimeFacts,
): BuildInfo {
  return {
    version: field(denoJson, "version"),
    revision: field(buildInfoJson, "revision"),
    branch: field(buildInfoJson, "branch"),
    buildUser: field(buildInfoJson, "buildUser"),
    buildDate: field(buildInfoJson, "buildDate"),
    goVersion: "deno" + runtime.denoVersion,
    goos: runtime.os,
    goarch: GOARCH[runtime.arch] ?? runtime.arch,
    tags: field(buildInfoJson, "tags"),
  };
}

/** Reads and parses a JSON file; `undefined` when it is absent or not readable. */
async function readJson(url: URL): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(url);
  } catch (err) {
    if (
      err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied
    ) {
      return undefined;
    }
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`Cannot parse ${url.pathname}: ${(err as Error).message}`);
  }
}

/**
 * Loads the build information from `deno.json` and `build_info.json` next to `lib/`.
 *
 * @returns The build information.
 * @throws {Error} When one of the files exists but is not valid JSON.
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { loadBuildInfo } from "@lib/version.ts";
 * const info = await loadBuildInfo();
 * assertMatch(info.version, /^\d+\.\d+\.\d+/);
 * ```
 */
export async function loadBuildInfo(): Promise<BuildInfo> {
  const [denoJson, buildJson] = await Promise.all([
    readJson(new URL("../deno.json", import.meta.url)),
    readJson(new URL("../build_info.json", import.meta.url)),
  ]);
  return buildInfoFrom(denoJson, buildJson, {
    denoVersion: Deno.version.deno,
    os: Deno.build.os,
    arch: Deno.build.arch,
  });
}

/**
 * The "Build Information" record of `/api/v1/status` and the Status page:
 * upstream's six fields, keys in sorted order.
 *
 * @param info Build information.
 * @returns `branch`, `buildDate`, `buildUser`, `goVersion`, `revision`, `version`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildInformation, buildInfoFrom } from "@lib/version.ts";
 * const info = buildInfoFrom({}, {}, { denoVersion: "2", os: "linux", arch: "x86_64" });
 * assertEquals(Object.keys(buildInformation(info)), [
 *   "branch",
 *   "buildDate",
 *   "buildUser",
 *   "goVersion",
 *   "revision",
 *   "version",
 * ]);
 * ```
 */
export function buildInformation(info: BuildInfo): Record<string, string> {
  return {
    branch: info.branch,
    buildDate: info.buildDate,
    buildUser: info.buildUser,
    goVersion: info.goVersion,
    revision: info.revision,
    version: info.version,
  };
}

/**
 * The `version` value of upstream's "starting pushgateway" log line (`version.Info()`).
 *
 * @param info Build information.
 * @returns `(version=…, branch=…, revision=…)`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildInfoFrom, versionInfoText } from "@lib/version.ts";
 * const info = buildInfoFrom({}, {}, { denoVersion: "2", os: "linux", arch: "x86_64" });
 * assertEquals(versionInfoText(info), "(version=unknown, branch=unknown, revision=unknown)");
 * ```
 */
export function versionInfoText(info: BuildInfo): string {
  return `(version=${info.version}, branch=${info.branch}, revision=${info.revision})`;
}

/**
 * The `build_context` value of upstream's "Build context" log line (`version.BuildContext()`).
 *
 * @param info Build information.
 * @returns `(go=…, platform=…/…, user=…, date=…, tags=…)`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildContextText, buildInfoFrom } from "@lib/version.ts";
 * const info = buildInfoFrom({}, {}, { denoVersion: "2", os: "linux", arch: "x86_64" });
 * assertEquals(
 *   buildContextText(info),
 *   "(go=deno2, platform=linux/amd64, user=unknown, date=unknown, tags=unknown)",
 * );
 * ```
 */
export function buildContextText(info: BuildInfo): string {
  return `(go=${info.goVersion}, platform=${info.goos}/${info.goarch}, user=${info.buildUser}, ` +
    `date=${info.buildDate}, tags=${info.tags})`;
}
