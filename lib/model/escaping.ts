/**
 * Name escaping schemes for output, as prometheus/common `model` (v0.69)
 * defines them: how metric and label names outside the legacy character set
 * are shown to a scraper that did not ask for UTF-8 names.
 *
 * @module
 */

import type { LabelPair, Metric, MetricFamily } from "@lib/model/metric.ts";
import { isValidLegacyMetricName } from "@lib/model/names.ts";

/**
 * An escaping scheme, named as in the `escaping=` parameter of a
 * Content-Type: `allow-utf-8` (no escaping), `underscores`, `dots`, `values`.
 */
export type EscapingScheme = "allow-utf-8" | "underscores" | "dots" | "values";

/** The scheme used when a scraper names none (common's `NameEscapingScheme`). */
export const DEFAULT_ESCAPING_SCHEME: EscapingScheme = "underscores";

/**
 * Parses an `escaping=` parameter value; case-sensitive like common's
 * `ToEscapingScheme`.
 *
 * @param s The parameter value.
 * @returns The scheme, or `undefined` when `s` names none.
 */
export function parseEscapingScheme(s: string): EscapingScheme | undefined {
  return s === "allow-utf-8" || s === "underscores" || s === "dots" || s === "values"
    ? s
    : undefined;
}

const UNDERSCORE = 0x5f;

/** Common's `isValidLegacyRune`: `[a-zA-Z_:]`, plus digits after the first rune. */
function isLegacyRune(c: number, first: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === UNDERSCORE ||
    c === 0x3a || (!first && c >= 0x30 && c <= 0x39);
}

/**
 * Escapes `name` under `scheme`, as common's `model.EscapeName`.
 *
 * - `allow-utf-8`: unchanged.
 * - `underscores`: legacy-valid names unchanged; else every rune outside the
 *   legacy set (a leading digit included) becomes `_`.
 * - `dots`: applied even to legacy-valid names: `_` → `__`, `.` → `_dot_`,
 *   any other invalid rune → `__`.
 * - `values`: legacy-valid names unchanged; else `U__` followed by the name
 *   with `_` → `__`, valid runes kept, others as `_<lower-case hex>_`, and a
 *   lone surrogate (Go: an invalid rune) as `_FFFD_`.
 *
 * @param name The metric or label name.
 * @param scheme The escaping scheme.
 * @returns The escaped name; `""` stays `""`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(escapeName("my.metric", "underscores"), "my_metric");
 * assertEquals(escapeName("my.metric", "values"), "U__my_2e_metric");
 * ```
 */
export function escapeName(name: string, scheme: EscapingScheme): string {
  if (name === "" || scheme === "allow-utf-8") return name;
  if (scheme !== "dots" && isValidLegacyMetricName(name)) return name;
  if (scheme === "values") return escapeValueEncoding(name);
  let out = "";
  let first = true;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (scheme === "underscores") {
      out += isLegacyRune(c, first) ? ch : "_";
    } else if (c === UNDERSCORE) {
      out += "__";
    } else if (c === 0x2e) {
      out += "_dot_";
    } else {
      out += isLegacyRune(c, first) ? ch : "__";
    }
    first = false;
  }
  return out;
}

/**
 * The `values` escape of {@linkcode escapeName}, applied unconditionally:
 * `U__` followed by the name with `_` → `__`, legacy runes kept (a leading
 * digit is not), others as `_<lower-case hex>_`, and a lone surrogate (Go: an
 * invalid rune) as `_FFFD_`. Unlike `escapeName(name, "values")`, legacy-valid
 * names (`a:b`, `U__x`) and `""` are escaped too, which is what a push path
 * needs for names that would otherwise be unescaped on the way back.
 *
 * @param name The label or metric name.
 * @returns The `U__`-escaped name; `""` becomes `"U__"`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(escapeValueEncoding("U__x"), "U__U____x");
 * assertEquals(escapeValueEncoding("a.b"), "U__a_2e_b");
 * ```
 */
export function escapeValueEncoding(name: string): string {
  let out = "U__";
  let first = true;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c === UNDERSCORE) {
      out += "__";
    } else if (isLegacyRune(c, first)) {
      out += ch;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += "_FFFD_";
    } else {
      out += "_" + c.toString(16) + "_";
    }
    first = false;
  }
  return out;
}

/**
 * Reverses {@linkcode escapeName} where possible, as common's
 * `model.UnescapeName`: `underscores` cannot be reversed (returned as is);
 * `dots` turns `_dot_` into `.` and then `__` into `_`; `values` decodes a
 * `U__`-prefixed name and returns the input unchanged when it is malformed.
 *
 * @param name The escaped name.
 * @param scheme The escaping scheme it was escaped with.
 * @returns The unescaped name.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(unescapeName("U__my_2e_metric", "values"), "my.metric");
 * ```
 */
export function unescapeName(name: string, scheme: EscapingScheme): string {
  if (name === "") return name;
  switch (scheme) {
    case "allow-utf-8":
    case "underscores":
      return name;
    case "dots":
      return name.replaceAll("_dot_", ".").replaceAll("__", "_");
    case "values":
      return unescapeValues(name);
  }
}

function unescapeValues(name: string): string {
  if (!name.startsWith("U__")) return name;
  const s = name.slice(3);
  let out = "";
  let i = 0;
  while (i < s.length) {
    if (s.charCodeAt(i) !== UNDERSCORE) {
      out += s[i];
      i++;
      continue;
    }
    i++;
    if (i >= s.length) return name;
    if (s.charCodeAt(i) === UNDERSCORE) {
      out += "_";
      i++;
      continue;
    }
    // `_<hex>_`: at most six hex digits (U+10FFFF), then a closing `_`.
    let cp = 0;
    let digits = 0;
    for (;;) {
      if (i >= s.length || digits >= 6) return name;
      const c = s.charCodeAt(i);
      if (c === UNDERSCORE) break;
      const l = c | 0x20; // Go's strconv `lower`, quirks included.
      if (l >= 0x30 && l <= 0x39) cp = cp * 16 + l - 0x30;
      else if (l >= 0x61 && l <= 0x66) cp = cp * 16 + l - 0x61 + 10;
      else return name;
      digits++;
      i++;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return name;
    out += String.fromCodePoint(cp);
    i++; // the closing underscore
  }
  return out;
}

function labelsNeedEscaping(labels: LabelPair[]): boolean {
  for (const l of labels) {
    if (l.name === "__name__" && !isValidLegacyMetricName(l.value)) return true;
    if (!isValidLegacyMetricName(l.name)) return true;
  }
  return false;
}

function escapeLabels(labels: LabelPair[], scheme: EscapingScheme): LabelPair[] {
  return labels.map((l): LabelPair => {
    if (l.name === "__name__") {
      return isValidLegacyMetricName(l.value)
        ? l
        : { name: l.name, value: escapeName(l.value, scheme) };
    }
    return isValidLegacyMetricName(l.name)
      ? l
      : { name: escapeName(l.name, scheme), value: l.value };
  });
}

/**
 * Escapes a family for output, as common's `model.EscapeMetricFamily`: the
 * family name and every label name that is not a legacy-valid *metric* name
 * (so `:` is kept in label names) are escaped with {@linkcode escapeName}, and
 * so is the value of a `__name__` label. Other label values, help and exemplars
 * are untouched.
 *
 * The input is never modified. When nothing needs escaping (always, for
 * `allow-utf-8`) the same object is returned; otherwise a new family that
 * shares every unchanged series.
 *
 * @param family The family to escape.
 * @param scheme The negotiated escaping scheme.
 * @returns The escaped family, or `family` itself when nothing changed.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MetricType } from "@lib/model/metric.ts";
 * const fam = { name: "a.b", type: MetricType.GAUGE, metric: [] };
 * assertEquals(escapeMetricFamily(fam, "underscores").name, "a_b");
 * ```
 */
export function escapeMetricFamily(family: MetricFamily, scheme: EscapingScheme): MetricFamily {
  if (scheme === "allow-utf-8") return family;
  const nameOk = isValidLegacyMetricName(family.name) || family.name === "";
  let metrics: Metric[] | undefined;
  for (let i = 0; i < family.metric.length; i++) {
    const m = family.metric[i]!;
    if (!labelsNeedEscaping(m.label)) continue;
    metrics ??= family.metric.slice();
    metrics[i] = { ...m, label: escapeLabels(m.label, scheme) };
  }
  if (nameOk && metrics === undefined) return family;
  return {
    ...family,
    name: nameOk ? family.name : escapeName(family.name, scheme),
    metric: metrics ?? family.metric,
  };
}
