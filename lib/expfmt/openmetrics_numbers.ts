/**
 * Numbers and timestamps of the OpenMetrics text format, as the OpenMetrics
 * parser reads them.
 *
 * @module
 */

import type { Timestamp } from "@lib/model/metric.ts";

// `\d+(?:\.\d*)?`, not `\d+\.?\d*`, which backtracks quadratically on a long digit run.
const REAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a sample value, label float or timestamp: an ASCII decimal number
 * (`1`, `-2.5`, `.5`, `5.`, `1e3`) or `Inf`/`Infinity`/`NaN` in any case with
 * an optional sign, as Python's `float()` reads them without its whitespace,
 * underscores and non-ASCII digits. Values beyond the float range become ±Inf,
 * as in Python.
 *
 * @param token The text of the number.
 * @returns The number, or `undefined` when `token` is not one.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(parseOpenMetricsNumber("+Inf"), Infinity);
 * assertEquals(parseOpenMetricsNumber("1_0"), undefined);
 * ```
 */
export function parseOpenMetricsNumber(token: string): number | undefined {
  if (REAL.test(token)) return Number(token) + 0; // + 0 turns -0 into 0, as Python's int("-0")
  if (!SPECIAL.test(token)) return undefined;
  const lower = token.toLowerCase();
  if (lower.endsWith("nan")) return NaN;
  return lower.startsWith("-") ? -Infinity : Infinity;
}

/** The range `timestamppb.CheckValid` accepts: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;
const GIGA = 1_000_000_000n;

/** `floor(value × 10^9)` of a decimal token, exactly; `undefined` when it is too long for that. */
function exactNanos(token: string): bigint | undefined {
  const m = DECIMAL.exec(token);
  if (m === null) return undefined;
  const frac = m[3] ?? "";
  const digits = (m[2]! + frac).replace(/^0+/, "") || "0";
  const exp = Number(m[4] ?? "0") - frac.length + 9;
  if (digits.length > 400 || Math.abs(exp) > 400) return undefined;
  let n: bigint;
  if (exp >= 0) {
    n = BigInt(digits) * 10n ** BigInt(exp);
    return m[1] === "-" ? -n : n;
  }
  const div = 10n ** BigInt(-exp);
  n = BigInt(digits) / div;
  if (m[1] !== "-") return n;
  return BigInt(digits) % div === 0n ? -n : -n - 1n;
}

/**
 * Reads a created or exemplar timestamp (seconds, as a number token) into a
 * protobuf Timestamp, exact to the nanosecond for decimal input.
 *
 * @param token The text of the timestamp.
 * @returns The timestamp, or `undefined` when `token` is not a finite number
 * or lies outside the years 1 to 9999 that protobuf Timestamps allow.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(parseTimestampSeconds("1.5"), { seconds: 1, nanos: 500000000 });
 * assertEquals(parseTimestampSeconds("-0.25"), { seconds: -1, nanos: 750000000 });
 * ```
 */
export function parseTimestampSeconds(token: string): Timestamp | undefined {
  const v = parseOpenMetricsNumber(token);
  if (v === undefined || !Number.isFinite(v) || v < MIN_SECONDS - 1 || v > MAX_SECONDS + 1) {
    return undefined;
  }
  const total = exactNanos(token) ?? BigInt(Math.floor(v * 1e9));
  let seconds = total / GIGA;
  let nanos = total % GIGA;
  if (nanos < 0n) {
    seconds -= 1n;
    nanos += GIGA;
  }
  const s = Number(seconds);
  if (s < MIN_SECONDS || s > MAX_SECONDS) return undefined;
  return { seconds: s, nanos: Number(nanos) };
}

/**
 * Reads a sample timestamp (seconds) into milliseconds, for a sample the
 * store will refuse as it refuses timestamps in text.
 *
 * @param token The text of the timestamp.
 * @returns Milliseconds (rounded, clamped to the float range), or `undefined`
 * when `token` is not a finite number.
 */
export function parseTimestampMs(token: string): number | undefined {
  const v = parseOpenMetricsNumber(token);
  if (v === undefined || !Number.isFinite(v)) return undefined;
  const ms = Math.round(v * 1000);
  return Number.isFinite(ms) ? ms + 0 : Math.sign(ms) * Number.MAX_VALUE;
}
