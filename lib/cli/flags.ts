/**
 * The command line: upstream's flag table and kingpin-compatible parsing.
 *
 * The flag table is `flag_specs.ts`; {@linkcode parseFlags} follows kingpin
 * v2.4.0's rules and error texts:
 *
 * - `--flag=value` and `--flag value`; `--` ends the flags; `-h` is `--help`.
 * - Booleans are only bare `--flag` / `--no-flag`; `--flag=true` leaves `true`
 *   as a stray argument: `unexpected true`.
 * - A value flag without a value: `expected argument for flag '--x'`.
 * - Unknown flags: `unknown long flag '--x'`, `unknown short flag '-x'`.
 * - A non-repeatable flag given twice: `flag 'x' cannot be repeated`.
 * - Value errors are the Go texts (`time: invalid duration "abc"`,
 *   `unrecognized log level x`, `invalid URL: parse ":x": missing protocol scheme`).
 * - `@file` expands arguments from a file (one per line, `#` comments), when the
 *   caller passes a file reader.
 * - Precedence as in kingpin: `--version` (and `--help-long`/`--help-man`) seen
 *   before a parse error wins over it; then parse errors; then `--help`; then
 *   value errors.
 *
 * Error messages are kingpin's text WITHOUT the `<prog>: error: ` prefix and
 * the `, try --help` suffix; {@linkcode formatFlagError} adds both, the way
 * `kingpin.MustParse` prints them.
 *
 * Deliberate differences: the old 0.x single-dash spelling of long flags
 * (`-persistence.file=/x`, `-web.listen-address :9091`, and for booleans also
 * `-flag=true|false` as Go's `flag` package took it) is accepted and reported
 * in `deprecatedSingleDash`, where kingpin says `unknown short flag '-p'`. The
 * completion flags (`--completion-bash`, …) are not implemented. We add
 * `--persistence.export-upstream`, `--push.max-body-size`,
 * `--push.max-concurrent-body-size`, `--push.max-series-per-push`,
 * `--push.default-ttl` and `--storage.max-series` (help texts ending in
 * "Not in upstream.").
 *
 * The pre-pass produces kingpin's errors and the ordered list of flags given;
 * the config is then read from that list, with the table's defaults for flags
 * not given.
 *
 * @module
 */

import {
  DurationError,
  durationToMs,
  formatGoDurationNs,
  parseGoDuration,
} from "@lib/gocompat/duration.ts";
import { BytesSizeError, formatBytesSize, parseBytesSize } from "@lib/gocompat/bytes_size.ts";
import { FLAGS, type FlagSpec } from "@lib/cli/flag_specs.ts";
import { parseGoUrlPath } from "@lib/gocompat/go_url.ts";
import { GoUintError, parseGoUint } from "@lib/gocompat/go_uint.ts";
import { redactUrlPassword } from "@lib/cli/redact.ts";

/** The parsed command line. */
export interface Config {
  /** `--web.listen-address`, in the order given (default `[":9091"]`). */
  listenAddresses: string[];
  /** `--web.systemd-socket`. */
  systemdSocket: boolean;
  /** `--web.config.file`. */
  webConfigFile: string;
  /** `--web.telemetry-path`. */
  telemetryPath: string;
  /** `--web.external-url` as a WHATWG URL; `undefined` when empty or not absolute (Go accepts `host/path`). */
  externalUrl: URL | undefined;
  /** `--web.external-url` as given. */
  externalUrlRaw: string;
  /** The Go `url.Path` of the external URL (unescaped), `""` when none. */
  externalUrlPath: string;
  /** Route prefix after upstream's normalisation (`""` for root, else `/x` without trailing slash). */
  routePrefix: string;
  /** The UI's path prefix: the route prefix computed from the external URL alone (upstream's `externalPathPrefix`). */
  externalPathPrefix: string;
  /** `--web.enable-lifecycle`. */
  enableLifecycle: boolean;
  /** `--web.enable-admin-api`. */
  enableAdminApi: boolean;
  /** `--web.enable-openmetrics`: offer OpenMetrics on the metrics path (not in upstream). */
  enableOpenMetrics: boolean;
  /** `--persistence.file`. */
  persistenceFile: string;
  /** `--persistence.interval` in milliseconds (may be 0 or negative, as kingpin allows). */
  persistenceIntervalMs: number;
  /** `--persistence.export-upstream` (ours): write the persistence file in upstream's format here and exit; `""` to serve. */
  persistenceExportUpstream: string;
  /** `--push.disable-consistency-check`. */
  disableConsistencyCheck: boolean;
  /** `--push.enable-utf8-names`. */
  enableUtf8Names: boolean;
  /** `--log.level`, lower case. */
  logLevel: "debug" | "info" | "warn" | "error";
  /** `--log.format`. */
  logFormat: "logfmt" | "json";
  /** `--push.max-body-size` in bytes. */
  maxBodyBytes: number;
  /** `--push.max-concurrent-body-size` in bytes. */
  maxConcurrentBodyBytes: number;
  /** `--push.max-series-per-push` (0: no limit). */
  maxSeriesPerPush: number;
  /** `--push.default-ttl` in milliseconds (0: never expire; a negative value counts as 0). */
  defaultTtlMs: number;
  /** `--storage.max-series` (0: no limit). */
  maxSeries: number;
  /** `--storage.postgres-url` as given ("" for the in-memory store); may hold a password. */
  postgresUrl: string;
  /** `--storage.postgres-password-file`. */
  postgresPasswordFile: string;
  /** `--storage.postgres-import`. */
  postgresImport: string;
  /** `--storage.postgres-checkpoint-interval` in milliseconds. */
  postgresCheckpointIntervalMs: number;
  /**
   * The telemetry path serves the pushed groups only, the gateway's own metrics being at
   * `/-/metrics` alone (with the shared store: they differ per replica).
   */
  ownMetricsApart: boolean;
  /**
   * kingpin's string form of every flag except kingpin's own (help, version), for
   * `/api/v1/status`: booleans `true`/`false`, durations in Go form (`5m0s`),
   * repeated listen addresses comma-joined, the route prefix after normalisation,
   * the external URL as given, sizes as `64MiB`, `--storage.postgres-url` with its password
   * replaced by `xxxxx`.
   */
  flagValues: Record<string, string>;
  /** Flags given in the old single-dash spelling, e.g. `-persistence.file`, for a deprecation warning. */
  deprecatedSingleDash: string[];
}

/** What the command line asks for. */
export type ParseResult =
  | { kind: "run"; config: Config }
  | { kind: "help"; variant: "default" | "long" | "man" }
  | { kind: "version" }
  | {
    kind: "error";
    /** kingpin's text without `<prog>: error: ` and `, try --help`; see {@linkcode formatFlagError}. */
    message: string;
  };

/** Options of {@linkcode parseFlags}. */
export interface ParseOptions {
  /**
   * Reads an `@file` argument file (e.g. `Deno.readTextFileSync`). Without it, `@file`
   * arguments are not expanded and end up as stray arguments.
   */
  readArgsFile?: (path: string) => string;
}

const BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(FLAGS.map((f) => [f.name, f]));
const BY_SHORT: ReadonlyMap<string, FlagSpec> = new Map(
  FLAGS.filter((f) => f.short !== undefined).map((f) => [f.short as string, f]),
);

/**
 * The line kingpin prints on stderr for a command-line error (exit status 1).
 *
 * @param programName Basename of argv[0], e.g. `pushgateway`.
 * @param message The `message` of an error {@linkcode ParseResult}.
 * @returns E.g. `pushgateway: error: unknown long flag '--bogus', try --help`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatFlagError } from "@lib/cli/flags.ts";
 * assertEquals(
 *   formatFlagError("pushgateway", "unexpected true"),
 *   "pushgateway: error: unexpected true, try --help",
 * );
 * ```
 */
export function formatFlagError(programName: string, message: string): string {
  return `${programName}: error: ${message}, try --help`;
}

// ---------------------------------------------------------------------------
// Tokens (kingpin's ParseContext.Next).

type Token =
  | { type: "long"; name: string; spelled: string; singleDash: boolean; inline: boolean }
  | { type: "short"; name: string }
  | { type: "arg"; value: string }
  | { type: "error"; message: string }
  | { type: "eol" };

class Tokens {
  #args: string[];
  #pushed: Token[] = [];
  #argsOnly = false;
  #readFile: ((path: string) => string) | undefined;

  constructor(argv: readonly string[], readFile: ((path: string) => string) | undefined) {
    this.#args = [...argv];
    this.#readFile = readFile;
  }

  peek(): Token {
    if (this.#pushed.length === 0) this.#pushed.push(this.#read());
    return this.#pushed[this.#pushed.length - 1] as Token;
  }

  next(): Token {
    const tok = this.peek();
    this.#pushed.pop();
    return tok;
  }

  #read(): Token {
    const arg = this.#args.shift();
    if (arg === undefined) return { type: "eol" };
    if (this.#argsOnly) return { type: "arg", value: arg };
    if (arg === "--") {
      this.#argsOnly = true;
      return this.#read();
    }
    if (arg.startsWith("--")) return this.#long(arg.slice(2), "--", false);
    if (arg.startsWith("-")) {
      if (arg.length === 1) return { type: "arg", value: "" };
      const body = arg.slice(1);
      const eq = body.indexOf("=");
      const name = eq < 0 ? body : body.slice(0, eq);
      if (name.length > 1 && BY_NAME.has(name)) return this.#long(body, "-", true);
      const short = String.fromCodePoint(body.codePointAt(0) as number);
      const rest = body.slice(short.length);
      const spec = BY_SHORT.get(short);
      if (spec !== undefined && rest !== "") {
        if (spec.kind === "bool") this.#args.unshift("-" + rest);
        else this.#pushed.push({ type: "arg", value: rest });
      }
      return { type: "short", name: short };
    }
    if (arg.startsWith("@") && this.#readFile !== undefined) {
      const expanded = expandArgsFile(arg.slice(1), this.#readFile);
      if (typeof expanded === "string") return { type: "error", message: expanded };
      this.#args.unshift(...expanded);
      return this.#read();
    }
    return { type: "arg", value: arg };
  }

  #long(body: string, dashes: string, singleDash: boolean): Token {
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const tok: Token = { type: "long", name, spelled: dashes + name, singleDash, inline: eq >= 0 };
    if (eq >= 0) this.#pushed.push({ type: "arg", value: body.slice(eq + 1) });
    return tok;
  }
}

/** Reads an `@file` the way kingpin's ExpandArgsFromFile does; a string result is the error. */
function expandArgsFile(path: string, readFile: (path: string) => string): string[] | string {
  if (path === "") return "expected @ file to expand arguments from";
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const q = JSON.stringify(path);
    if (err instanceof Deno.errors.NotFound) {
      return `failed to open arguments file ${q}: open ${path}: no such file or directory`;
    }
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      return `failed to open arguments file ${q}: open ${path}: permission denied`;
    }
    if (err instanceof Deno.errors.IsADirectory) {
      return `failed to read arguments from ${q}: read ${path}: is a directory`;
    }
    return `failed to open arguments file ${q}: ${(err as Error).message}`;
  }
  const lines = text.split("\n").map((l) => l.endsWith("\r") ? l.slice(0, -1) : l);
  if (lines.at(-1) === "") lines.pop();
  return lines.filter((l) => !l.startsWith("#") && l.trim() !== "");
}

// ---------------------------------------------------------------------------
// Parsing (kingpin's parse, setValues, preActions, maybeHelp).

interface Element {
  spec: FlagSpec;
  value: string;
}

const GO_BOOL: ReadonlyMap<string, string> = new Map([
  ...["1", "t", "T", "TRUE", "true", "True"].map((s): [string, string] => [s, "true"]),
  ...["0", "f", "F", "FALSE", "false", "False"].map((s): [string, string] => [s, "false"]),
]);

/** Matches flags against the table; stops at the first error like kingpin's parse(). */
function matchFlags(
  tokens: Tokens,
): { elements: Element[]; deprecated: string[]; error?: string } {
  const elements: Element[] = [];
  const deprecated: string[] = [];
  for (;;) {
    const tok = tokens.peek();
    if (tok.type === "eol") return { elements, deprecated };
    if (tok.type === "error") return { elements, deprecated, error: tok.message };
    if (tok.type === "arg") return { elements, deprecated, error: `unexpected ${tok.value}` };
    let spec: FlagSpec | undefined;
    let invert = false;
    let spelled: string;
    if (tok.type === "short") {
      spelled = "-" + tok.name;
      spec = BY_SHORT.get(tok.name);
      if (spec === undefined) {
        return { elements, deprecated, error: `unknown short flag '${spelled}'` };
      }
    } else {
      spelled = tok.spelled;
      spec = BY_NAME.get(tok.name);
      if (spec === undefined && tok.name.startsWith("no-")) {
        spec = BY_NAME.get(tok.name.slice(3));
        invert = spec !== undefined;
      }
      if (spec === undefined) {
        return { elements, deprecated, error: `unknown long flag '${spelled}'` };
      }
      if (tok.singleDash) deprecated.push(spelled);
    }
    tokens.next();
    if (spec.kind === "bool") {
      let value = invert ? "false" : "true";
      if (tok.type === "long" && tok.singleDash && tok.inline) {
        // Go's flag package took -flag=true|false; the inline value is the next token.
        const inline = tokens.next();
        const parsed = inline.type === "arg" ? GO_BOOL.get(inline.value) : undefined;
        if (parsed === undefined) {
          const shown = inline.type === "arg" ? inline.value : "";
          return {
            elements,
            deprecated,
            error: `invalid boolean value ${JSON.stringify(shown)} for flag '${spelled}'`,
          };
        }
        value = parsed;
      }
      elements.push({ spec, value });
      continue;
    }
    if (invert) return { elements, deprecated, error: `unknown long flag '${spelled}'` };
    const valueTok = tokens.peek();
    if (valueTok.type !== "arg") {
      return { elements, deprecated, error: `expected argument for flag '${spelled}'` };
    }
    tokens.next();
    elements.push({ spec, value: valueTok.value });
  }
}

/** Checks one value the way the flag's kingpin Value.Set would; returns the error text. */
/** The value parsers of the numeric flag kinds; each throws its Go error text. */
const NUMERIC: Partial<Record<FlagSpec["kind"], (value: string) => unknown>> = {
  duration: (v) => parseGoDuration(v, "str2duration"),
  bytes: parseBytesSize,
  uint: parseGoUint,
};

function checkValue(spec: FlagSpec, value: string): string | undefined {
  try {
    NUMERIC[spec.kind]?.(value);
  } catch (err) {
    if ([DurationError, BytesSizeError, GoUintError].some((c) => err instanceof c)) {
      return (err as Error).message;
    }
    throw err;
  }
  switch (spec.kind) {
    case "url": {
      const parsed = parseGoUrlPath(value);
      return "error" in parsed ? `invalid URL: ${parsed.error}` : undefined;
    }
    case "enum": {
      const v = spec.ignoreCase ? value.toLowerCase() : value;
      return spec.options?.includes(v) ? undefined : `unrecognized ${spec.noun} ${value}`;
    }
    default:
      return undefined;
  }
}

/**
 * Parses the command line (argv without the program name) the way upstream's kingpin does.
 *
 * @param argv The arguments, e.g. `Deno.args`.
 * @param opts Optional `@file` reader.
 * @returns What to do: run with a config, print help or version, or fail with kingpin's message.
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { parseFlags } from "@lib/cli/flags.ts";
 * const r = parseFlags(["--web.listen-address=:9092", "--persistence.interval=1m"]);
 * assert(r.kind === "run");
 * assertEquals(r.config.persistenceIntervalMs, 60000);
 * ```
 */
export function parseFlags(argv: readonly string[], opts: ParseOptions = {}): ParseResult {
  const { elements, deprecated, error: parseError } = matchFlags(
    new Tokens(argv, opts.readArgsFile),
  );

  let valueError: string | undefined;
  const seen = new Set<string>();
  for (const { spec, value } of elements) {
    if (seen.has(spec.name) && !spec.repeatable) {
      valueError = `flag '${spec.name}' cannot be repeated`;
      break;
    }
    valueError = checkValue(spec, value);
    if (valueError !== undefined) break;
    seen.add(spec.name);
  }

  // kingpin's pre-actions run before any error is reported.
  for (const { spec } of elements) {
    if (spec.name === "version") return { kind: "version" };
    if (spec.name === "help-long") return { kind: "help", variant: "long" };
    if (spec.name === "help-man") return { kind: "help", variant: "man" };
  }
  if (parseError !== undefined) return { kind: "error", message: parseError };
  if (elements.some((e) => e.spec.name === "help")) return { kind: "help", variant: "default" };
  if (valueError !== undefined) return { kind: "error", message: valueError };

  return { kind: "run", config: buildConfig(elements, deprecated) };
}

/**
 * Maps the checked flags onto a Config. Each non-repeatable flag occurs at most once here (a
 * repeat is an error before), so a map of the values given serves; flags not given take the
 * table's default.
 */
function buildConfig(elements: readonly Element[], deprecated: string[]): Config {
  const given = new Map<string, string>();
  const listenGiven: string[] = [];
  for (const { spec, value } of elements) {
    if (spec.name === "web.listen-address") listenGiven.push(value);
    else given.set(spec.name, value);
  }
  const str = (name: string): string => given.get(name) ?? BY_NAME.get(name)?.default ?? "";
  const bool = (name: string): boolean => str(name) === "true";
  const ms = (name: string): number => durationToMs(parseGoDuration(str(name), "str2duration"));

  const listenAddresses = listenGiven.length > 0
    ? listenGiven
    : [BY_NAME.get("web.listen-address")?.default ?? ":9091"];
  const externalUrlRaw = str("web.external-url");
  const parsedUrl = parseGoUrlPath(externalUrlRaw);
  const externalUrlPath = "path" in parsedUrl ? parsedUrl.path : "";
  const routePrefix = computeRoutePrefix(str("web.route-prefix"), externalUrlPath);
  const maxBodyBytes = parseBytesSize(str("push.max-body-size"));
  const logLevel = str("log.level").toLowerCase() as Config["logLevel"];
  const logFormat = str("log.format") as Config["logFormat"];

  const flagValues: Record<string, string> = {};
  for (const f of FLAGS) {
    if (f.builtin || f.action) continue;
    switch (f.kind) {
      case "bool":
        flagValues[f.name] = String(bool(f.name));
        break;
      case "strings":
        flagValues[f.name] = listenAddresses.join(",");
        break;
      case "duration":
        flagValues[f.name] = formatGoDurationNs(parseGoDuration(str(f.name), "str2duration"));
        break;
      case "bytes":
        flagValues[f.name] = formatBytesSize(parseBytesSize(str(f.name)));
        break;
      case "uint":
        flagValues[f.name] = String(parseGoUint(str(f.name)));
        break;
      default:
        flagValues[f.name] = str(f.name);
    }
  }
  flagValues["web.route-prefix"] = routePrefix;
  flagValues["log.level"] = logLevel;
  flagValues["storage.postgres-url"] = redactUrlPassword(str("storage.postgres-url"));
  const postgresUrl = str("storage.postgres-url");

  return {
    listenAddresses,
    systemdSocket: bool("web.systemd-socket"),
    webConfigFile: str("web.config.file"),
    telemetryPath: str("web.telemetry-path"),
    externalUrl: toWhatwgUrl(externalUrlRaw),
    externalUrlRaw,
    externalUrlPath,
    routePrefix,
    externalPathPrefix: computeRoutePrefix("", externalUrlPath),
    enableLifecycle: bool("web.enable-lifecycle"),
    enableAdminApi: bool("web.enable-admin-api"),
    enableOpenMetrics: bool("web.enable-openmetrics"),
    persistenceFile: str("persistence.file"),
    persistenceIntervalMs: ms("persistence.interval"),
    persistenceExportUpstream: str("persistence.export-upstream"),
    disableConsistencyCheck: bool("push.disable-consistency-check"),
    enableUtf8Names: bool("push.enable-utf8-names"),
    logLevel,
    logFormat,
    maxBodyBytes,
    maxConcurrentBodyBytes: parseBytesSize(str("push.max-concurrent-body-size")),
    maxSeriesPerPush: parseGoUint(str("push.max-series-per-push")),
    defaultTtlMs: Math.max(0, ms("push.default-ttl")),
    maxSeries: parseGoUint(str("storage.max-series")),
    postgresUrl,
    postgresPasswordFile: str("storage.postgres-password-file"),
    postgresImport: str("storage.postgres-import"),
    postgresCheckpointIntervalMs: ms("storage.postgres-checkpoint-interval"),
    ownMetricsApart: postgresUrl !== "",
    flagValues,
    deprecatedSingleDash: deprecated,
  };
}

function toWhatwgUrl(raw: string): URL | undefined {
  if (raw === "") return undefined;
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/**
 * Upstream's `computeRoutePrefix`: an empty prefix takes the external URL's path,
 * `/` becomes `""`, otherwise a leading `/` is ensured and one trailing `/` removed.
 *
 * @param prefix `--web.route-prefix` as given.
 * @param externalUrlPath The Go `url.Path` of `--web.external-url`.
 * @returns The normalised prefix, `""` for the root.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { computeRoutePrefix } from "@lib/cli/flags.ts";
 * assertEquals(computeRoutePrefix("", "/ext/"), "/ext");
 * ```
 */
export function computeRoutePrefix(prefix: string, externalUrlPath: string): string {
  let p = prefix === "" ? externalUrlPath : prefix;
  if (p === "/") return "";
  if (!p.startsWith("/")) p = "/" + p;
  return p.endsWith("/") ? p.slice(0, -1) : p;
}

/**
 * Says what this runtime cannot honour of a parsed config.
 *
 * @param config The parsed config.
 * @returns A message for the operator, or `undefined` when everything is supported.
 * @example
 * ```ts
 * import { assert, assertMatch } from "@std/assert";
 * import { parseFlags, validateUnsupported } from "@lib/cli/flags.ts";
 * const r = parseFlags(["--web.systemd-socket"]);
 * assert(r.kind === "run");
 * assertMatch(validateUnsupported(r.config) ?? "", /^--web\.systemd-socket is not supported /);
 * ```
 */
export function validateUnsupported(config: Config): string | undefined {
  if (config.systemdSocket) {
    return "--web.systemd-socket is not supported by this implementation (no systemd socket " +
      "activation in the Deno runtime); use --web.listen-address instead";
  }
  const vsock = config.listenAddresses.find((a) => a.toLowerCase().startsWith("vsock://"));
  if (vsock !== undefined) {
    return `vsock listen addresses are not supported by this implementation: ${vsock}`;
  }
  return undefined;
}

/**
 * Says which storage flags do not go together.
 *
 * @param config The parsed config.
 * @returns A message for the operator, or `undefined` when the combination is fine.
 * @example
 * ```ts
 * import { parseFlags, validateStorage } from "@lib/cli/flags.ts";
 * const r = parseFlags(["--storage.postgres-url=postgres://db/x", "--persistence.file=a"]);
 * if (r.kind === "run") validateStorage(r.config); // "--storage.postgres-url and --persistence.file …"
 * ```
 */
export function validateStorage(config: Config): string | undefined {
  if (config.postgresUrl !== "" && config.persistenceFile !== "") {
    return "--storage.postgres-url and --persistence.file cannot be used together: the shared " +
      "store keeps every group in PostgreSQL. To move a persistence file's groups there, run " +
      "once with --storage.postgres-url and --storage.postgres-import=FILE";
  }
  if (config.postgresUrl === "") {
    for (
      const [flag, value] of [
        ["storage.postgres-password-file", config.postgresPasswordFile],
        ["storage.postgres-import", config.postgresImport],
      ]
    ) {
      if (value !== "") return `--${flag} needs --storage.postgres-url`;
    }
  }
  return undefined;
}
