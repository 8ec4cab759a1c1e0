/**
 * Renders metric families in the OpenMetrics 1.0.0 text format, byte for byte
 * as prometheus/common (v0.69 up to the newest, whose OpenMetrics 1.0 writer is
 * unchanged) `expfmt.MetricFamilyToOpenMetrics` writes them, followed by the
 * `# EOF` line of `FinalizeOpenMetrics`.
 *
 * What that writer does, and so this one:
 * - Counters: a name ending in `_total` loses the suffix in `# HELP`, `# TYPE`
 *   and `# UNIT` (`# TYPE x counter`, samples `x_total`); a counter without it
 *   is typed `unknown` and its samples keep the name as it is.
 * - Untyped families are `unknown`; gauge histograms are `gaugehistogram` with
 *   `_bucket`, `_sum` and `_count` samples (not OpenMetrics' `_gsum`/`_gcount`).
 * - `# HELP` and `# UNIT` escape `\`, newline and `"`; `# UNIT` only when the
 *   family has a unit.
 * - Floats are Go's shortest `%g` with `.0` added to plain integers (`1.0`,
 *   `100.0`, `1e+06`), counts of summaries and histograms are integers, `le`
 *   and `quantile` label values are floats in the same style.
 * - Exemplars (`# {labels} value [timestamp]`) on counters and histogram
 *   buckets, only when they have labels; timestamps in seconds.
 * - Names that are not legacy-valid are quoted, the metric name moving inside
 *   the braces (`{"a.b",l="v"} 1.0`); a caller that negotiated an escaping
 *   scheme escapes the family first (`escapeMetricFamily`), as for text.
 * - `_created` lines only with {@linkcode OpenMetricsRenderOptions.createdLines}
 *   (Go's `WithCreatedLines()`), which promhttp leaves off by default.
 *
 * Where Go's writer fails with an error (and leaves a half-written family
 * behind), this one drops output instead, as the text renderer does: a family
 * without a name or without series renders as `""`; a series lacking the value
 * field of its type, or a histogram series with float counts (OpenMetrics 1.0
 * has none), is skipped; an exemplar whose timestamp is not a valid protobuf
 * Timestamp is left out. A family all of whose series are skipped renders as
 * `""`.
 *
 * @module
 */

import type {
  Exemplar,
  Histogram,
  LabelPair,
  Metric,
  MetricFamily,
  Timestamp,
} from "@lib/model/metric.ts";
import { MetricType } from "@lib/model/metric.ts";
import { isValidLegacyMetricName } from "@lib/model/names.ts";
import { escapeMetricFamily, type EscapingScheme } from "@lib/model/escaping.ts";
import { formatGoFloat } from "@lib/gocompat/format_float.ts";

/** The line that ends every OpenMetrics exposition. */
export const OPENMETRICS_EOF = "# EOF\n";

/** Options of {@linkcode renderFamilyOpenMetrics}. */
export interface OpenMetricsRenderOptions {
  /** Write `_created` lines from created timestamps (Go's `WithCreatedLines()`); default off. */
  createdLines?: boolean;
}

/** Options of {@linkcode renderOpenMetrics}. */
export interface OpenMetricsExpositionOptions extends OpenMetricsRenderOptions {
  /** The negotiated name escaping scheme; default `allow-utf-8` (names as they are). */
  escaping?: EscapingScheme;
}

const QUOTED_ESCAPES = /[\\"\n]/;

/** Go's `quotedEscaper`: `\` → `\\`, newline → `\n`, `"` → `\"`. */
function escapeQuoted(s: string): string {
  if (!QUOTED_ESCAPES.test(s)) return s;
  return s.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : "\\" + c);
}

/** expfmt `writeName`: legacy-valid names raw, others double-quoted. */
function writeName(name: string): string {
  return isValidLegacyMetricName(name) ? name : '"' + escapeQuoted(name) + '"';
}

/**
 * Go's `writeOpenMetricsFloat`: `1.0`, `0.0` (also for -0), `-1.0`, `NaN`,
 * `+Inf`, `-Inf`, else `%g` with `.0` appended when there is neither `.` nor
 * `e`.
 *
 * @param v The number.
 * @returns The OpenMetrics text of `v`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(formatOpenMetricsFloat(100), "100.0");
 * assertEquals(formatOpenMetricsFloat(1e6), "1e+06");
 * ```
 */
export function formatOpenMetricsFloat(v: number): string {
  if (v === 0) return "0.0";
  const s = formatGoFloat(v);
  if (v !== v || v === Infinity || v === -Infinity) return s;
  return s.includes(".") || s.includes("e") ? s : s + ".0";
}

const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Go's `writeUint` of a count held as a JavaScript number (a uint64 on the
 * wire). A count that rounded up to 2^64 on the way in is written as the
 * largest uint64.
 */
function uintText(v: number | undefined): string {
  const t = v === undefined || !Number.isFinite(v) ? 0 : Math.trunc(v);
  if (t >= 0 && t <= Number.MAX_SAFE_INTEGER) return String(t);
  const big = BigInt(t);
  return (big > UINT64_MAX ? UINT64_MAX : BigInt.asUintN(64, big)).toString();
}

/** Go's `float64(t.UnixNano()) / 1e9`, the int64 nanoseconds wrapping as Go's do. */
function timestampSeconds(ts: Timestamp): number {
  const seconds = Number.isInteger(ts.seconds) ? ts.seconds : 0;
  const nanos = Number.isInteger(ts.nanos) ? ts.nanos : 0;
  const ns = BigInt.asIntN(64, BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
  return Number(ns) / 1e9;
}

/** The range `timestamppb.CheckValid` accepts: 0001-01-01 to 9999-12-31, nanos in [0, 1e9). */
function isValidTimestamp(ts: Timestamp): boolean {
  return Number.isInteger(ts.seconds) && ts.seconds >= -62135596800 &&
    ts.seconds <= 253402300799 && Number.isInteger(ts.nanos) && ts.nanos >= 0 &&
    ts.nanos < 1e9;
}

/** The `name="value",…` block of a label list, without braces. */
function labelBlock(labels: LabelPair[]): string {
  let out = "";
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    out += (i === 0 ? "" : ",") + writeName(l.name) + '="' + escapeQuoted(l.value) + '"';
  }
  return out;
}

/**
 * Go's `writeOpenMetricsNameAndLabelPairs` for a sample: the name (inside the
 * braces and quoted when not legacy-valid), the labels and `extra`
 * (`le="…"`/`quantile="…"` or `""`).
 */
function series(name: string, labels: string, extra: string): string {
  const inner = labels === "" ? extra : extra === "" ? labels : labels + "," + extra;
  if (isValidLegacyMetricName(name)) return inner === "" ? name : name + "{" + inner + "}";
  return "{" + writeName(name) + (inner === "" ? "" : "," + inner) + "}";
}

/** Go's `writeExemplar`, or `""` when the exemplar is left out. */
function exemplarText(e: Exemplar | undefined): string {
  if (e === undefined || e.label.length === 0) return "";
  let out = " # {" + labelBlock(e.label) + "} " + formatOpenMetricsFloat(e.value ?? 0);
  if (e.timestamp !== undefined) {
    if (!isValidTimestamp(e.timestamp)) return "";
    out += " " + formatOpenMetricsFloat(timestampSeconds(e.timestamp));
  }
  return out;
}

/** The end of a sample line: the value text, the sample timestamp, an exemplar, newline. */
function tail(value: string, m: Metric, exemplar?: Exemplar): string {
  const ts = m.timestampMs === undefined ? "" : " " + formatOpenMetricsFloat(m.timestampMs / 1000);
  return " " + value + ts + exemplarText(exemplar) + "\n";
}

function created(name: string, labels: string, ts: Timestamp | undefined): string {
  if (ts === undefined) return "";
  return series(name + "_created", labels, "") + " " +
    formatOpenMetricsFloat(timestampSeconds(ts)) + "\n";
}

/** OpenMetrics 1.0 has integer histogram counts only: Go refuses float ones. */
function hasFloatCounts(h: Histogram): boolean {
  if ((h.sampleCountFloat ?? 0) > 0) return true;
  return h.bucket.some((b) => (b.cumulativeCountFloat ?? 0) > 0);
}

function renderSeries(
  name: string,
  base: string,
  type: MetricType,
  m: Metric,
  withCreated: boolean,
): string {
  const labels = labelBlock(m.label);
  const f = formatOpenMetricsFloat;
  switch (type) {
    case MetricType.COUNTER: {
      const c = m.counter;
      if (c === undefined) return "";
      const line = series(name, labels, "") + tail(f(c.value ?? 0), m, c.exemplar);
      return withCreated ? line + created(base, labels, c.createdTimestamp) : line;
    }
    case MetricType.GAUGE:
      if (m.gauge === undefined) return "";
      return series(name, labels, "") + tail(f(m.gauge.value ?? 0), m);
    case MetricType.UNTYPED:
      if (m.untyped === undefined) return "";
      return series(name, labels, "") + tail(f(m.untyped.value ?? 0), m);
    case MetricType.SUMMARY: {
      const s = m.summary;
      if (s === undefined) return "";
      let out = "";
      for (const q of s.quantile) {
        const extra = 'quantile="' + f(q.quantile ?? 0) + '"';
        out += series(name, labels, extra) + tail(f(q.value ?? 0), m);
      }
      out += series(name + "_sum", labels, "") + tail(f(s.sampleSum ?? 0), m);
      out += series(name + "_count", labels, "") + tail(uintText(s.sampleCount), m);
      return withCreated ? out + created(base, labels, s.createdTimestamp) : out;
    }
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM: {
      const h = m.histogram;
      if (h === undefined || hasFloatCounts(h)) return "";
      let out = "";
      let infSeen = false;
      for (const b of h.bucket) {
        const bound = b.upperBound ?? 0;
        out += series(name + "_bucket", labels, 'le="' + f(bound) + '"') +
          tail(uintText(b.cumulativeCount), m, b.exemplar);
        if (bound === Infinity) infSeen = true;
      }
      if (!infSeen) {
        out += series(name + "_bucket", labels, 'le="+Inf"') + tail(uintText(h.sampleCount), m);
      }
      out += series(name + "_sum", labels, "") + tail(f(h.sampleSum ?? 0), m);
      out += series(name + "_count", labels, "") + tail(uintText(h.sampleCount), m);
      return withCreated ? out + created(base, labels, h.createdTimestamp) : out;
    }
    default:
      return "";
  }
}

const TYPE_WORDS: Readonly<Record<MetricType, string>> = {
  [MetricType.COUNTER]: "counter",
  [MetricType.GAUGE]: "gauge",
  [MetricType.SUMMARY]: "summary",
  [MetricType.UNTYPED]: "unknown",
  [MetricType.HISTOGRAM]: "histogram",
  [MetricType.GAUGE_HISTOGRAM]: "gaugehistogram",
};

/** A family's OpenMetrics text in pieces: its descriptor lines, the lines of any run of series. */
export interface OpenMetricsFamilyPieces {
  /** The `# HELP` (when the family has help), `# TYPE` and `# UNIT` (when it has a unit) lines. */
  readonly head: string;
  /** The sample lines of these series, in order (series Go would fail on give none). */
  series(metrics: readonly Metric[]): string;
}

/**
 * The pieces {@linkcode renderFamilyOpenMetrics} joins, for callers that
 * cache the lines of runs of series: `head + series(family.metric)` is the
 * family's text whenever the series give any lines.
 *
 * @param family The family (already escaped); only its name, help, type and unit are read.
 * @param options `createdLines` to write `_created` lines (off by default).
 * @returns The pieces, or `undefined` when the family renders as nothing
 * whatever its series (no name, or an unknown type).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MetricType } from "@lib/model/metric.ts";
 * const family = { name: "jobs_total", type: MetricType.COUNTER, metric: [] };
 * const pieces = openMetricsFamilyPieces(family)!;
 * assertEquals(pieces.head, "# TYPE jobs counter\n");
 * assertEquals(pieces.series([{ label: [], counter: { value: 3 } }]), "jobs_total 3.0\n");
 * ```
 */
export function openMetricsFamilyPieces(
  family: MetricFamily,
  options: OpenMetricsRenderOptions = {},
): OpenMetricsFamilyPieces | undefined {
  const name = family.name;
  if (name === "") return undefined;
  const type = family.type;
  const typeWord = TYPE_WORDS[type];
  if (typeWord === undefined) return undefined;
  const isTotal = type === MetricType.COUNTER && name.endsWith("_total");
  // The name of HELP, TYPE and UNIT, and the base of `_created` lines.
  const compliant = isTotal ? name.slice(0, -6) : name;
  const withCreated = options.createdLines === true;
  const shown = writeName(compliant);
  let head = family.help === undefined
    ? ""
    : "# HELP " + shown + " " + escapeQuoted(family.help) + "\n";
  const word = type === MetricType.COUNTER && !isTotal ? "unknown" : typeWord;
  head += "# TYPE " + shown + " " + word + "\n";
  if (family.unit !== undefined) head += "# UNIT " + shown + " " + escapeQuoted(family.unit) + "\n";
  return {
    head,
    series(metrics: readonly Metric[]): string {
      let body = "";
      for (let i = 0; i < metrics.length; i++) {
        body += renderSeries(name, compliant, type, metrics[i]!, withCreated);
      }
      return body;
    },
  };
}

/**
 * Renders one family in OpenMetrics 1.0.0 as Go's `MetricFamilyToOpenMetrics`
 * (see the module documentation for the rules and for what is dropped where
 * Go fails). The `# EOF` line is not included: append
 * {@linkcode OPENMETRICS_EOF} after the last family.
 *
 * @param family The family, already escaped for the negotiated scheme.
 * @param options `createdLines` to write `_created` lines (off by default).
 * @returns The text, ending in a newline, or `""`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MetricType } from "@lib/model/metric.ts";
 * const text = renderFamilyOpenMetrics({
 *   name: "jobs_total",
 *   type: MetricType.COUNTER,
 *   metric: [{ label: [], counter: { value: 3 } }],
 * });
 * assertEquals(text, "# TYPE jobs counter\njobs_total 3.0\n");
 * ```
 */
export function renderFamilyOpenMetrics(
  family: MetricFamily,
  options: OpenMetricsRenderOptions = {},
): string {
  if (family.metric.length === 0) return "";
  const pieces = openMetricsFamilyPieces(family, options);
  if (pieces === undefined) return "";
  const body = pieces.series(family.metric);
  return body === "" ? "" : pieces.head + body;
}

/**
 * Renders a whole OpenMetrics exposition: every family escaped with
 * `escapeMetricFamily` for `options.escaping`, rendered with
 * {@linkcode renderFamilyOpenMetrics}, then `# EOF`.
 *
 * @param families The families, in output order.
 * @param options The escaping scheme (default `allow-utf-8`) and `createdLines`.
 * @returns The exposition, always ending in `# EOF\n`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(renderOpenMetrics([]), "# EOF\n");
 * ```
 */
export function renderOpenMetrics(
  families: MetricFamily[],
  options: OpenMetricsExpositionOptions = {},
): string {
  const scheme = options.escaping ?? "allow-utf-8";
  let out = "";
  for (const f of families) out += renderFamilyOpenMetrics(escapeMetricFamily(f, scheme), options);
  return out + OPENMETRICS_EOF;
}
