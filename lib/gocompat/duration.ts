/**
 * Go durations: one parser for the two dialects upstream reads, and Go's
 * `time.Duration.String` for printing.
 *
 * - `"go"`: Go's `time.ParseDuration`, as go-yaml reads exporter-toolkit's
 *   `rate_limit.interval`. Units `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`;
 *   the magnitude may reach 2^63 ns when negative; error texts quote the input
 *   with non-ASCII bytes as `\xNN`.
 * - `"str2duration"`: `xhit/go-str2duration` v2.1.0, as kingpin's `Duration()`
 *   flags (`--persistence.interval`) read it. The same syntax plus the units
 *   `d` (24h) and `w` (168h); the magnitude stays within the int64 maximum for
 *   both signs; error texts quote the input as it is.
 *
 * So `5m`, `1h30m`, `1.5h`, `-2s` and `0` are valid in both; `1d` and `1w` only
 * with str2duration; `y` in neither (unlike Prometheus' `model.ParseDuration`).
 * The error texts are Go's (`time: invalid duration "abc"`). Values are printed
 * the way `time.Duration.String` does (`5m0s`, `24h0m0s`, `500ms`).
 *
 * Everything is computed in whole nanoseconds (bigint) like Go;
 * {@linkcode durationToMs} converts to milliseconds at the edge.
 *
 * @module
 */

/** Which Go parser to follow: `time.ParseDuration` or `xhit/go-str2duration`. */
export type GoDurationDialect = "go" | "str2duration";

const NS_PER_MS = 1_000_000n;
const TWO_POW_63 = 1n << 63n;

const GO_UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // micro sign
  ["\u03bcs", 1_000n], // Greek mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

const STR2DURATION_UNITS: ReadonlyMap<string, bigint> = new Map([
  ...GO_UNITS,
  ["d", 86_400_000_000_000n],
  ["w", 604_800_000_000_000n],
]);

interface Dialect {
  /** Unit name to nanoseconds. */
  units: ReadonlyMap<string, bigint>;
  /** Largest magnitude before the sign is applied (Go: uint64 up to 2^63; str2duration: int64). */
  limit: bigint;
  /** Largest positive result. */
  max: bigint;
  /** Quotes a text in an error message. */
  quote: (s: string) => string;
}

const utf8 = new TextEncoder();

/**
 * Go's `time.quote`: double quotes around the text, `"` and `\` backslash-escaped, and
 * control and non-ASCII characters as their UTF-8 bytes `\xNN`.
 */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x80 || c < 0x20) {
      for (const b of utf8.encode(ch)) out += "\\x" + b.toString(16).padStart(2, "0");
    } else {
      out += c === 0x22 || c === 0x5c ? "\\" + ch : ch;
    }
  }
  return out + '"';
}

const DIALECTS: Record<GoDurationDialect, Dialect> = {
  go: { units: GO_UNITS, limit: TWO_POW_63, max: TWO_POW_63 - 1n, quote: timeQuote },
  str2duration: {
    units: STR2DURATION_UNITS,
    limit: TWO_POW_63 - 1n,
    max: TWO_POW_63 - 1n,
    quote: (s) => `"${s}"`,
  },
};

/** A duration text that does not parse; `message` is Go's error text. */
export class DurationError extends Error {
  /** Creates the error with Go's text, e.g. `time: invalid duration "abc"`. */
  constructor(message: string) {
    super(message);
    this.name = "DurationError";
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Parses a duration the way Go's `time.ParseDuration` (`"go"`) or
 * `xhit/go-str2duration` (`"str2duration"`, kingpin's `Duration()` flags) does.
 *
 * @param text The duration text, e.g. `"5m"`, `"1h30m"`, `"-1.5s"`, `"1d"` (str2duration only).
 * @param dialect Which parser to follow: its units, range and error quoting.
 * @returns The duration in nanoseconds.
 * @throws {DurationError} With Go's message, e.g. `time: invalid duration "abc"`,
 * `time: missing unit in duration "1"`, `time: unknown unit "y" in duration "1y"`;
 * a value beyond the int64 range is `time: invalid duration`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseGoDuration } from "@lib/gocompat/duration.ts";
 * assertEquals(parseGoDuration("1m30s", "go"), 90_000_000_000n);
 * assertEquals(parseGoDuration("1d", "str2duration"), 86_400_000_000_000n);
 * ```
 */
export function parseGoDuration(text: string, dialect: GoDurationDialect): bigint {
  const { units, limit, max, quote } = DIALECTS[dialect];
  const invalid = (): DurationError => new DurationError(`time: invalid duration ${quote(text)}`);
  let s = text;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) throw invalid();
    // Whole part, like Go's leadingInt.
    let i = 0;
    let whole = 0n;
    while (isDigit(s[i])) {
      if (whole > limit / 10n) throw invalid();
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > limit) throw invalid();
      i++;
    }
    const hadWhole = i > 0;
    s = s.slice(i);
    // Fraction: digits kept while they fit, like Go's leadingFraction.
    let frac = 0n;
    let scale = 1;
    let hadFrac = false;
    if (s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (isDigit(s[j])) {
        if (!overflow) {
          const next = frac * 10n + BigInt(s.charCodeAt(j) - 48);
          if (frac > (TWO_POW_63 - 1n) / 10n || next > limit) {
            overflow = true;
          } else {
            frac = next;
            scale *= 10;
          }
        }
        j++;
      }
      hadFrac = j > 0;
      s = s.slice(j);
    }
    if (!hadWhole && !hadFrac) throw invalid();
    // Unit: everything up to the next digit or dot.
    let k = 0;
    while (k < s.length && !(s[k] === "." || isDigit(s[k]))) k++;
    if (k === 0) throw new DurationError(`time: missing unit in duration ${quote(text)}`);
    const unitName = s.slice(0, k);
    s = s.slice(k);
    const unit = units.get(unitName);
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${quote(unitName)} in duration ${quote(text)}`);
    }
    if (whole > limit / unit) throw invalid();
    let v = whole * unit;
    if (frac > 0n) {
      // Go computes this part in float64; so do we, truncating toward zero.
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / scale)));
      if (v > limit) throw invalid();
    }
    total += v;
    // Go's time.ParseDuration adds in uint64, so a sum of exactly 2^64 wraps to 0.
    if (dialect === "go") total = BigInt.asUintN(64, total);
    if (total > limit) throw invalid();
  }
  if (neg) return -total;
  if (total > max) throw invalid();
  return total;
}

/**
 * Converts nanoseconds to milliseconds.
 *
 * @param ns A duration in nanoseconds, e.g. from {@linkcode parseGoDuration}.
 * @returns Milliseconds, possibly fractional for sub-millisecond parts.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { durationToMs } from "@lib/gocompat/duration.ts";
 * assertEquals(durationToMs(1_500_000n), 1.5);
 * ```
 */
export function durationToMs(ns: bigint): number {
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

/** Formats `v / 10^prec` with trailing zeros (and a bare dot) removed, as Go's fmtFrac+fmtInt. */
function fracText(v: bigint, prec: number): string {
  const div = 10n ** BigInt(prec);
  const whole = v / div;
  let frac = (v % div).toString().padStart(prec, "0").replace(/0+$/, "");
  if (frac !== "") frac = "." + frac;
  return whole.toString() + frac;
}

/**
 * Formats nanoseconds as Go's `time.Duration.String`.
 *
 * @param ns The duration in nanoseconds.
 * @returns E.g. `5m0s`, `24h0m0s`, `1h30m0s`, `1.5s`, `500ms`, `1.5µs`, `0s`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatGoDurationNs } from "@lib/gocompat/duration.ts";
 * assertEquals(formatGoDurationNs(90_000_000_000n), "1m30s");
 * ```
 */
export function formatGoDurationNs(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  const u = ns < 0n ? -ns : ns;
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    if (u < 1_000_000n) return `${sign}${fracText(u, 3)}µs`;
    return `${sign}${fracText(u, 6)}ms`;
  }
  const secondsText = fracText(u % 60_000_000_000n, 9) + "s";
  const minutes = u / 60_000_000_000n;
  if (minutes === 0n) return sign + secondsText;
  const hours = minutes / 60n;
  const minutesText = `${minutes % 60n}m`;
  if (hours === 0n) return sign + minutesText + secondsText;
  return `${sign}${hours}h${minutesText}${secondsText}`;
}
