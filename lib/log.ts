/**
 * A logger that writes the lines upstream's promslog (prometheus/common v0.69,
 * go-kit style, as the Pushgateway configures it) writes.
 *
 * - logfmt: `ts=2026-05-27T15:00:00.000Z level=info caller=main.ts:81 msg="starting pushgateway" key=value`
 * - json: `{"ts":"2026-05-27T15:00:00.000Z","level":"info","caller":"main.ts:81","msg":"starting pushgateway","key":"value"}`
 *
 * Keys come in the order `ts`, `level`, `caller`, `msg`, then the attributes.
 * `ts` is UTC with exactly three decimals. `caller` is `file:line` of the code
 * that called the logger, taken from the JavaScript stack (upstream: the Go
 * source file); at debug level it is `file(function):line` when the function
 * has a name. Attributes named `ts`, `level`, `caller`, `time` or `source` are
 * renamed `logged_<key>` as promslog does. Error values are logged as their
 * message. Quoting follows Go's slog text handler: a value is quoted when it is
 * empty or contains a space, `=`, `"` or a control character.
 *
 * @module
 */

import { goQuote, isGoPrint } from "@lib/gocompat/go_quote.ts";
/** The levels of `--log.level`, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The formats of `--log.format`. */
export type LogFormat = "logfmt" | "json";

/** Structured attributes of one log line, in insertion order. */
export type LogAttrs = Record<string, unknown>;

/** A leveled, structured logger. */
export interface Logger {
  /** Logs at debug level. */
  debug(msg: string, attrs?: LogAttrs): void;
  /** Logs at info level. */
  info(msg: string, attrs?: LogAttrs): void;
  /** Logs at warn level. */
  warn(msg: string, attrs?: LogAttrs): void;
  /** Logs at error level. */
  error(msg: string, attrs?: LogAttrs): void;
  /** Whether a line at `level` would be written (to skip building costly attributes). */
  enabled(level: LogLevel): boolean;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** The minimum level written. */
  level: LogLevel;
  /** Line format. */
  format: LogFormat;
  /** Receives each line without its trailing newline. Default: stderr, one line per call. */
  write?: (line: string) => void;
  /** The clock. Default: `new Date()`. */
  now?: () => Date;
  /** A fixed `caller` value instead of the one taken from the stack (e.g. for tests). */
  caller?: string;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const RESERVED = new Set(["ts", "level", "caller", "time", "source"]);
const THIS_MODULE = import.meta.url;

function writeStderr(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}

/** Formats the time as Go's `2006-01-02T15:04:05.000Z07:00` in UTC. */
function formatTs(d: Date): string {
  return d.toISOString();
}

/** Finds `file:line` (and the function name) of the first stack frame outside this module. */
function callerFromStack(withFunction: boolean): string {
  const stack = new Error().stack ?? "";
  for (const raw of stack.split("\n").slice(1)) {
    const line = raw.trim();
    const m = /^at (?:(.+?) \()?(.+?):(\d+):\d+\)?$/.exec(line);
    if (m === null) continue;
    const [, fn, file = "", lineNo] = m;
    if (file === THIS_MODULE) continue;
    const base = file.slice(file.lastIndexOf("/") + 1);
    const name = fn?.replace(/^async /, "").replace(/ \[as .*\]$/, "");
    if (withFunction && name !== undefined && name !== "") return `${base}(${name}):${lineNo}`;
    return `${base}:${lineNo}`;
  }
  return "unknown:0";
}

/** True when Go's slog text handler would quote `s`. */
function needsQuoting(s: string): boolean {
  if (s === "") return true;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x20 || ch === " " || ch === "=" || ch === '"') return true;
    if (c > 0x7f && !isGoPrint(c)) return true;
  }
  return false;
}

/** JSON string escaping as Go's slog JSON handler does it (no HTML escaping). */
function jsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x2028 || c === 0x2029) {
      out += "\\u" + c.toString(16).padStart(4, "0");
    } else if (c >= 0xd800 && c <= 0xdfff) out += "\ufffd";
    else out += ch;
  }
  return out + '"';
}

/** The text form of an attribute value, before quoting. */
function valueText(v: unknown): string {
  if (v instanceof Error) return v.message;
  if (v instanceof Date) return formatTs(v);
  if (v instanceof URL) return v.href;
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function logfmtPair(key: string, text: string): string {
  const k = needsQuoting(key) ? goQuote(key) : key;
  return `${k}=${needsQuoting(text) ? goQuote(text) : text}`;
}

function jsonValue(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : jsonString(String(v));
  if (typeof v === "boolean") return String(v);
  if (typeof v === "bigint") return v.toString();
  if (v === null || v === undefined) return "null";
  if (typeof v === "string" || v instanceof Error || v instanceof Date || v instanceof URL) {
    return jsonString(valueText(v));
  }
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return jsonString(String(v));
  }
}

/**
 * Renders one log line (without newline) from its parts; pure.
 *
 * @param format `logfmt` or `json`.
 * @param fields `ts`, `level`, `caller`, `msg` and the attributes.
 * @returns The line.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { renderLogLine } from "@lib/log.ts";
 * assertEquals(
 *   renderLogLine("logfmt", { ts: new Date(0), level: "info", caller: "main.ts:1", msg: "hi" }),
 *   "ts=1970-01-01T00:00:00.000Z level=info caller=main.ts:1 msg=hi",
 * );
 * ```
 */
export function renderLogLine(
  format: LogFormat,
  fields: { ts: Date; level: LogLevel; caller: string; msg: string; attrs?: LogAttrs },
): string {
  const pairs: [string, unknown][] = [
    ["ts", formatTs(fields.ts)],
    ["level", fields.level],
    ["caller", fields.caller],
    ["msg", fields.msg],
  ];
  for (const [key, value] of Object.entries(fields.attrs ?? {})) {
    pairs.push([RESERVED.has(key) ? `logged_${key}` : key, value]);
  }
  if (format === "json") {
    return "{" + pairs.map(([k, v]) => `${jsonString(k)}:${jsonValue(v)}`).join(",") + "}";
  }
  return pairs.map(([k, v]) => logfmtPair(k, valueText(v))).join(" ");
}

/**
 * Creates a promslog-compatible logger.
 *
 * @param opts Level, format, and optionally the sink, clock and a fixed caller.
 * @returns The logger.
 * @example
 * ```ts
 * import { assertEquals, assertMatch } from "@std/assert";
 * import { createLogger } from "@lib/log.ts";
 * const lines: string[] = [];
 * const log = createLogger({ level: "info", format: "logfmt", write: (l) => lines.push(l) });
 * log.info("starting pushgateway", { version: "1.0.0" });
 * log.debug("not written");
 * assertEquals(lines.length, 1);
 * assertMatch(lines[0]!, / level=info caller=\S+ msg="starting pushgateway" version=1\.0\.0$/);
 * ```
 */
export function createLogger(opts: LoggerOptions): Logger {
  const min = LEVEL_RANK[opts.level];
  const write = opts.write ?? writeStderr;
  const now = opts.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, attrs?: LogAttrs): void => {
    if (LEVEL_RANK[level] < min) return;
    const caller = opts.caller ?? callerFromStack(opts.level === "debug");
    write(renderLogLine(opts.format, { ts: now(), level, caller, msg, attrs }));
  };
  return {
    debug: (msg, attrs) => emit("debug", msg, attrs),
    info: (msg, attrs) => emit("info", msg, attrs),
    warn: (msg, attrs) => emit("warn", msg, attrs),
    error: (msg, attrs) => emit("error", msg, attrs),
    enabled: (level) => LEVEL_RANK[level] >= min,
  };
}
