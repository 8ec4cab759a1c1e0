/**
 * Durations as upstream's command line reads and prints them.
 *
 * Kingpin's `Duration()` flags (`--persistence.interval`) parse with
 * `xhit/go-str2duration`: Go's `time.ParseDuration` syntax plus the units `d`
 * (24h) and `w` (168h). So `5m`, `1h30m`, `1.5h`, `-2s`, `1d`, `1w` and `0` are
 * valid; `y` is not (unlike Prometheus' `model.ParseDuration`), and the error
 * texts are Go's (`time: invalid duration "abc"`). Values are printed the way
 * Go's `time.Duration.String` does (`5m0s`, `24h0m0s`, `500ms`).
 *
 * Everything is computed in whole nanoseconds (bigint, int64 range) like Go;
 * {@linkcode parseDuration} converts to milliseconds at the edge.
 *
 * @module
 */

const NS_PER_MS = 1_000_000n;
const INT64_MAX = (1n << 63n) - 1n;

const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // micro sign
  ["\u03bcs", 1_000n], // Greek mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
  ["d", 86_400_000_000_000n],
  ["w", 604_800_000_000_000n],
]);

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
 * Parses a duration the way kingpin's `Duration()` flag does (Go syntax plus `d`, `w`).
 *
 * @param text The duration text, e.g. `"5m"`, `"1h30m"`, `"1d"`.
 * @returns The duration in nanoseconds.
 * @throws {DurationError} With Go's message, e.g. `time: invalid duration "abc"`,
 * `time: missing unit in duration "1"`, `time: unknown unit "y" in duration "1y"`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseDurationNs } from "@lib/gocompat/duration.ts";
 * assertEquals(parseDurationNs("1m30s"), 90_000_000_000n);
 * ```
 */
export function parseDurationNs(text: string): bigint {
  const invalid = (): DurationError => new DurationError(`time: invalid duration "${text}"`);
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
    // Whole part.
    let i = 0;
    let whole = 0n;
    while (isDigit(s[i])) {
      if (whole > INT64_MAX / 10n) throw invalid();
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > INT64_MAX) throw invalid();
      i++;
    }
    const hadWhole = i > 0;
    s = s.slice(i);
    // Fraction: digits kept while they fit in int64, like Go's leadingFraction.
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
          if (frac > INT64_MAX / 10n || next > INT64_MAX) {
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
    if (k === 0) throw new DurationError(`time: missing unit in duration "${text}"`);
    const unitName = s.slice(0, k);
    s = s.slice(k);
    const unit = UNIT_NS.get(unitName);
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit "${unitName}" in duration "${text}"`);
    }
    if (whole > INT64_MAX / unit) throw invalid();
    let v = whole * unit;
    if (frac > 0n) {
      // Go computes this part in float64; so do we, truncating toward zero.
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / scale)));
      if (v > INT64_MAX) throw invalid();
    }
    total += v;
    if (total > INT64_MAX) throw invalid();
  }
  return neg ? -total : total;
}

/**
 * Parses a duration (see {@linkcode parseDurationNs}) into milliseconds.
 *
 * @param text The duration text.
 * @returns Milliseconds, possibly fractional for sub-millisecond parts.
 * @throws {DurationError} With Go's message.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseDuration } from "@lib/gocompat/duration.ts";
 * assertEquals(parseDuration("5m"), 300000);
 * ```
 */
export function parseDuration(text: string): number {
  const ns = parseDurationNs(text);
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
