/**
 * Upstream's command-line flags as data: name, kind, default and kingpin's help text, in
 * upstream's registration order (the order of `-h`), plus ours (`--persistence.export-upstream`,
 * `--push.max-body-size`, `--storage.postgres-*`). The help of `--web.systemd-socket` and `--web.listen-address` adds
 * that this build refuses systemd sockets and vsock. The parser is `flags.ts`, the help layout
 * `usage.ts`.
 *
 * @module
 */

/** How a flag's value is read. */
export type FlagKind =
  | "bool"
  | "string"
  | "strings"
  | "duration"
  | "url"
  | "enum"
  | "bytes"
  | "uint";

/** One command-line flag. */
export interface FlagSpec {
  /** Long name without dashes. */
  readonly name: string;
  /** Value type. */
  readonly kind: FlagKind;
  /** Help text: upstream's newest, except where this build differs (said in the text). */
  readonly help: string;
  /** Default in kingpin's string form (`undefined` for help/version). */
  readonly default?: string;
  /** One-letter short form. */
  readonly short?: string;
  /** Left out of `-h` (kingpin's hidden flags). */
  readonly hidden?: boolean;
  /** May be given more than once (kingpin's cumulative values). */
  readonly repeatable?: boolean;
  /** Allowed values of an enum flag. */
  readonly options?: readonly string[];
  /** Enum flags: the noun of the error `unrecognized <noun> <value>`. */
  readonly noun?: string;
  /** Enum flags: compare case-insensitively (promslog lower-cases the level). */
  readonly ignoreCase?: boolean;
  /** kingpin's own flags (help, version): not listed in the status flags map. */
  readonly builtin?: boolean;
  /**
   * Makes the program do one thing and exit instead of serving (our persistence export): not a
   * setting of a running gateway, so not listed in the status flags map either.
   */
  readonly action?: boolean;
}

/** Default of `--push.max-concurrent-body-size` (see the README's limits). */
export const DEFAULT_MAX_CONCURRENT_BODY = "128MiB";
/** Default of `--push.max-series-per-push` (see the README's limits). */
export const DEFAULT_MAX_SERIES_PER_PUSH = "100000";

/** Every flag, in upstream's registration order (the order of `-h`), ours after `push.max-body-size`. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: "help",
    kind: "bool",
    short: "h",
    builtin: true,
    help: "Show context-sensitive help (also try --help-long and --help-man).",
  },
  { name: "help-long", kind: "bool", hidden: true, builtin: true, help: "Generate long help." },
  { name: "help-man", kind: "bool", hidden: true, builtin: true, help: "Generate a man page." },
  {
    name: "web.systemd-socket",
    kind: "bool",
    default: "false",
    help:
      "Use systemd socket activation listeners instead of port listeners (Linux only). Not supported by this build: refused at start-up.",
  },
  {
    name: "web.listen-address",
    kind: "strings",
    default: ":9091",
    repeatable: true,
    help:
      "Addresses on which to expose metrics and web interface. Repeatable for multiple addresses. Examples: `:9100` or `[::1]:9100` for http, `vsock://:9100` for vsock (vsock is not supported by this build: refused at start-up)",
  },
  {
    name: "web.config.file",
    kind: "string",
    default: "",
    help:
      "Path to configuration file that can enable TLS or authentication. See: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
  },
  {
    name: "web.telemetry-path",
    kind: "string",
    default: "/metrics",
    help: "Path under which to expose metrics.",
  },
  {
    name: "web.external-url",
    kind: "url",
    default: "",
    help: "The URL under which the Pushgateway is externally reachable.",
  },
  {
    name: "web.route-prefix",
    kind: "string",
    default: "",
    help:
      "Prefix for the internal routes of web endpoints. Defaults to the path of --web.external-url.",
  },
  {
    name: "web.enable-lifecycle",
    kind: "bool",
    default: "false",
    help: "Enable shutdown via HTTP request.",
  },
  {
    name: "web.enable-admin-api",
    kind: "bool",
    default: "false",
    help: "Enable API endpoints for admin control actions.",
  },
  {
    name: "web.enable-openmetrics",
    kind: "bool",
    default: "false",
    help:
      "Serve OpenMetrics 1.0.0 (with exemplars and units) on the metrics path to scrapers that ask for it. Not in upstream.",
  },
  {
    name: "persistence.file",
    kind: "string",
    default: "",
    help: "File to persist metrics. If empty, metrics are only kept in memory.",
  },
  {
    name: "persistence.interval",
    kind: "duration",
    default: "5m",
    help: "The minimum interval at which to write out the persistence file.",
  },
  {
    name: "persistence.export-upstream",
    kind: "string",
    default: "",
    action: true,
    help:
      "Write the metrics of --persistence.file to this new file in the official Pushgateway's format, then exit (for switching back to it). Not in upstream.",
  },
  {
    name: "push.disable-consistency-check",
    kind: "bool",
    default: "false",
    help: "Do not check consistency of pushed metrics. DANGEROUS.",
  },
  {
    name: "push.enable-utf8-names",
    kind: "bool",
    default: "false",
    help: "Allow UTF-8 characters in metric and label names.",
  },
  {
    name: "push.max-body-size",
    kind: "bytes",
    default: "64MiB",
    help:
      "Maximum size of a push request body, before and after decompression; larger pushes get 413. Not in upstream.",
  },
  {
    name: "push.max-concurrent-body-size",
    kind: "bytes",
    default: DEFAULT_MAX_CONCURRENT_BODY,
    help:
      "Maximum total size of the push bodies being read or decompressed at the same time; a push past it gets 503 with Retry-After. Not in upstream.",
  },
  {
    name: "push.max-series-per-push",
    kind: "uint",
    default: DEFAULT_MAX_SERIES_PER_PUSH,
    help:
      "Maximum number of series in one push; larger pushes get 413 and are not stored. 0 means no limit. Not in upstream.",
  },
  {
    name: "push.default-ttl",
    kind: "duration",
    default: "0",
    help:
      "Time to live of a group after its last successful push, unless the push sets one with the Pushgateway-TTL header. 0 means groups never expire. Not in upstream.",
  },
  {
    name: "storage.max-series",
    kind: "uint",
    default: "0",
    help:
      "Maximum number of series stored; a push that would pass it gets 507 and is not stored. 0 means no limit. Not in upstream.",
  },
  {
    name: "storage.postgres-url",
    kind: "string",
    default: "",
    help:
      "URL of a PostgreSQL database shared by several replicas, e.g. postgres://user@host:5432/db?sslmode=require (instead of memory and --persistence.file). A password in it is never shown. Not in upstream.",
  },
  {
    name: "storage.postgres-password-file",
    kind: "string",
    default: "",
    help: "File holding the PostgreSQL password (else the URL's, or PGPASSWORD). Not in upstream.",
  },
  {
    name: "storage.postgres-import",
    kind: "string",
    default: "",
    action: true,
    help:
      "Load this persistence file into the empty database of --storage.postgres-url, then exit. Not in upstream.",
  },
  {
    name: "storage.postgres-checkpoint-interval",
    kind: "duration",
    default: "5m",
    help:
      "How often the shared state is checkpointed (also every 10000 writes); the log keeps the writes since the previous checkpoint. Not in upstream.",
  },
  {
    name: "log.level",
    kind: "enum",
    default: "info",
    options: ["debug", "info", "warn", "error"],
    noun: "log level",
    ignoreCase: true,
    help: "Only log messages with the given severity or above. One of: [debug, info, warn, error]",
  },
  {
    name: "log.format",
    kind: "enum",
    default: "logfmt",
    options: ["logfmt", "json"],
    noun: "log format",
    help: "Output format of log messages. One of: [logfmt, json]",
  },
  { name: "version", kind: "bool", builtin: true, help: "Show application version." },
];
