/**
 * Float formatting as Go's `strconv.FormatFloat(v, 'g', -1, 64)` writes it,
 * plus the special cases of expfmt's text writer.
 *
 * Go and JavaScript agree on the digits (the shortest decimal that reads back
 * as the same double) but not on the layout: Go switches to exponent form
 * when the decimal exponent of the first digit is below -4 or at least 6, and
 * writes the exponent with a sign and at least two digits (`1e+06`, `5e-324`).
 *
 * @module
 */

/**
 * Formats `v` exactly as Go's `strconv.FormatFloat(v, 'g', -1, 64)`.
 *
 * @param v The number to format.
 * @returns Go's shortest `%g` text: `NaN`, `+Inf`, `-Inf`, `-0`, `999999`,
 * `1e+06`, `0.0001`, `1e-05`, …
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(formatGoFloat(1234567), "1.234567e+06");
 * assertEquals(formatGoFloat(0.00015), "0.00015");
 * ```
 */
export function formatGoFloat(v: number): string {
  const a = v < 0 ? -v : v;
  // Plain decimal range: JavaScript writes these exactly as Go does.
  if (a >= 1e-4 && a < 1e6) return String(v);
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (v !== v) return "NaN";
  if (a === Infinity) return v > 0 ? "+Inf" : "-Inf";
  // Exponent form: JavaScript's shortest digits, Go's exponent layout.
  const s = v.toExponential();
  const e = s.indexOf("e");
  // `s[e + 1]` is the exponent sign; Go wants at least two exponent digits.
  return s.length - e === 3 ? s.slice(0, e + 2) + "0" + s.slice(e + 2) : s;
}

/**
 * Formats a sample value or an `le`/`quantile` label value the way expfmt's
 * text writer does: `0` (also for `-0`), everything else as
 * {@linkcode formatGoFloat} (expfmt's own shortcuts for `1` and `-1` give the
 * same text).
 *
 * @param v The number to format.
 * @returns The text exposition form of `v`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(formatTextFloat(-0), "0");
 * assertEquals(formatTextFloat(Infinity), "+Inf");
 * ```
 */
export function formatTextFloat(v: number): string {
  return v === 0 ? "0" : formatGoFloat(v);
}
