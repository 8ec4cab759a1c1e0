/**
 * Renders metric families in the text exposition format 0.0.4, byte for byte
 * as prometheus/common v0.69 `expfmt.MetricFamilyToText` does.
 *
 * Names are written as they are: a caller that negotiated an escaping scheme
 * applies `escapeMetricFamily` first. Names that are not legacy-valid are
 * quoted (the metric name then moves inside the braces), which only happens
 * with `escaping=allow-utf-8`.
 *
 * Where upstream fails with an error, this renderer drops output instead:
 * a family without series or without a name renders as `""`, and a series
 * lacking the value field of the family's type (a gauge family with a series
 * that has no `gauge`, say) is skipped. A family all of whose series are
 * skipped renders as `""`.
 *
 * @module
 */

import {
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";
import { isValidLegacyMetricName } from "@lib/model/names.ts";
import { formatTextFloat } from "@lib/gocompat/format_float.ts";

const NEEDS_QUOTED_ESCAPE = /[\\"\n]/;
const NEEDS_HELP_ESCAPE = /[\\\n]/;

/** Escapes `\`, `"` and newline, for label values and quoted names. */
function escapeQuoted(s: string): string {
  if (!NEEDS_QUOTED_ESCAPE.test(s)) return s;
  return s.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : "\\" + c);
}

/** Escapes `\` and newline only, for HELP text. */
function escapeHelp(s: string): string {
  if (!NEEDS_HELP_ESCAPE.test(s)) return s;
  return s.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/** expfmt `writeName`: legacy-valid names raw, others double-quoted. */
function writeName(name: string): string {
  return isValidLegacyMetricName(name) ? name : '"' + escapeQuoted(name) + '"';
}

/** The TYPE word per type; the classic text format has no gauge histogram. */
const TYPE_WORDS: ReadonlyMap<MetricType, string> = new Map(
  Object.values(MetricType).map((t) => [
    t,
    t === MetricType.GAUGE_HISTOGRAM ? "histogram" : METRIC_TYPE_NAMES[t].toLowerCase(),
  ]),
);

function typeWord(type: MetricType): string | undefined {
  return TYPE_WORDS.get(type);
}

function timestampSuffix(ts: number | undefined): string {
  if (ts === undefined) return "\n";
  const t = Math.trunc(ts);
  return " " + (Math.abs(t) < 1e21 ? String(t) : BigInt(t).toString()) + "\n";
}

/**
 * Writes the sample lines of one family. Per name suffix it keeps the bare
 * series name (`name_sum`, or `{"a.b_sum"}` for a name that is not
 * legacy-valid) and the opening of a label set (`name_sum{`, or
 * `{"a.b_sum",`); and it remembers how each label name is written.
 */
class SeriesWriter {
  readonly #name: string;
  readonly #quoted: boolean;
  readonly #bare = new Map<string, string>();
  readonly #open = new Map<string, string>();
  readonly #labelNames = new Map<string, string>();

  constructor(name: string) {
    this.#name = name;
    // Suffixes never change legacy validity, so this holds for all of them.
    this.#quoted = !isValidLegacyMetricName(name);
    this.#prepare("");
  }

  #prepare(suffix: string): void {
    const full = this.#name + suffix;
    if (this.#quoted) {
      const q = '"' + escapeQuoted(full) + '"';
      this.#bare.set(suffix, "{" + q + "}");
      this.#open.set(suffix, "{" + q + ",");
    } else {
      this.#bare.set(suffix, full);
      this.#open.set(suffix, full + "{");
    }
  }

  /** The `name="value",…` block of a series, without braces. */
  labels(metric: Metric): string {
    const ls = metric.label;
    let out = "";
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i]!;
      let n = this.#labelNames.get(l.name);
      if (n === undefined) {
        n = writeName(l.name);
        this.#labelNames.set(l.name, n);
      }
      out += (i === 0 ? "" : ",") + n + '="' + escapeQuoted(l.value) + '"';
    }
    return out;
  }

  /** One sample line; `extra` is `le="…"` or `quantile="…"` or `""`. */
  line(suffix: string, labels: string, extra: string, value: number, tail: string): string {
    let open = this.#open.get(suffix);
    if (open === undefined) {
      this.#prepare(suffix);
      open = this.#open.get(suffix)!;
    }
    const v = formatTextFloat(value);
    if (extra === "") {
      return labels === ""
        ? this.#bare.get(suffix) + " " + v + tail
        : open + labels + "} " + v + tail;
    }
    return labels === ""
      ? open + extra + "} " + v + tail
      : open + labels + "," + extra + "} " + v + tail;
  }
}

/** Upstream's count choice: the float count unless it is zero (or absent). */
function floatOr(float: number | undefined, int: number | undefined): number {
  return float === undefined || float === 0 ? int ?? 0 : float;
}

function renderSeries(w: SeriesWriter, type: MetricType, m: Metric): string {
  switch (type) {
    case MetricType.COUNTER:
      if (m.counter === undefined) return "";
      return w.line("", w.labels(m), "", m.counter.value ?? 0, timestampSuffix(m.timestampMs));
    case MetricType.GAUGE:
      if (m.gauge === undefined) return "";
      return w.line("", w.labels(m), "", m.gauge.value ?? 0, timestampSuffix(m.timestampMs));
    case MetricType.UNTYPED:
      if (m.untyped === undefined) return "";
      return w.line("", w.labels(m), "", m.untyped.value ?? 0, timestampSuffix(m.timestampMs));
    case MetricType.SUMMARY: {
      const s = m.summary;
      if (s === undefined) return "";
      const labels = w.labels(m);
      const tail = timestampSuffix(m.timestampMs);
      let out = "";
      for (const q of s.quantile) {
        const extra = 'quantile="' + formatTextFloat(q.quantile ?? 0) + '"';
        out += w.line("", labels, extra, q.value ?? 0, tail);
      }
      out += w.line("_sum", labels, "", s.sampleSum ?? 0, tail);
      return out + w.line("_count", labels, "", s.sampleCount ?? 0, tail);
    }
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM: {
      const h = m.histogram;
      if (h === undefined) return "";
      const labels = w.labels(m);
      const tail = timestampSuffix(m.timestampMs);
      let out = "";
      let infSeen = false;
      for (const b of h.bucket) {
        // A float count of zero falls back to the integer count, as upstream.
        const v = floatOr(b.cumulativeCountFloat, b.cumulativeCount);
        const bound = b.upperBound ?? 0;
        out += w.line("_bucket", labels, 'le="' + formatTextFloat(bound) + '"', v, tail);
        if (bound === Infinity) infSeen = true;
      }
      const count = floatOr(h.sampleCountFloat, h.sampleCount);
      if (!infSeen) out += w.line("_bucket", labels, 'le="+Inf"', count, tail);
      out += w.line("_sum", labels, "", h.sampleSum ?? 0, tail);
      return out + w.line("_count", labels, "", count, tail);
    }
    default:
      return "";
  }
}

/** A family's text in pieces: its `# HELP`/`# TYPE` head and the lines of any run of its series. */
export interface TextFamilyPieces {
  /** The `# HELP` line (when the family has help) and the `# TYPE` line. */
  readonly head: string;
  /** The sample lines of these series, in order (series lacking their value field give none). */
  series(metrics: readonly Metric[]): string;
}

/**
 * The pieces {@linkcode renderFamilyText} joins, for callers that cache the
 * lines of runs of series: `head + series(family.metric)` is the family's
 * text whenever the series give any lines.
 *
 * @param family The family (already escaped); only its name, help and type are read.
 * @returns The pieces, or `undefined` when the family renders as nothing
 * whatever its series (no name, or a type without a text form).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MetricType } from "@lib/model/metric.ts";
 * const pieces = textFamilyPieces({ name: "up", type: MetricType.GAUGE, metric: [] })!;
 * assertEquals(pieces.head, "# TYPE up gauge\n");
 * assertEquals(pieces.series([{ label: [], gauge: { value: 1 } }]), "up 1\n");
 * ```
 */
export function textFamilyPieces(family: MetricFamily): TextFamilyPieces | undefined {
  if (family.name === "") return undefined;
  const word = typeWord(family.type);
  if (word === undefined) return undefined;
  const w = new SeriesWriter(family.name);
  const type = family.type;
  const name = writeName(family.name);
  const help = family.help === undefined
    ? ""
    : "# HELP " + name + " " + escapeHelp(family.help) + "\n";
  return {
    head: help + "# TYPE " + name + " " + word + "\n",
    series(metrics: readonly Metric[]): string {
      let body = "";
      for (let i = 0; i < metrics.length; i++) body += renderSeries(w, type, metrics[i]!);
      return body;
    },
  };
}

/**
 * Renders one family in the text format 0.0.4, as expfmt's
 * `MetricFamilyToText`: an optional `# HELP` line (only when `help` is
 * present; `\` and newline escaped), the `# TYPE` line (gauge histograms as
 * `histogram`), then the samples. Summaries expand to `quantile` lines,
 * `_sum` and `_count`; histograms to `_bucket` lines (adding a `+Inf` bucket
 * holding the count when none is present, float counts preferred when
 * non-zero), `_sum` and `_count`. Timestamps are appended when present.
 *
 * @param family The family to render, already escaped for the negotiated
 * scheme.
 * @returns The text, ending in a newline, or `""` for a family without
 * series, without a name, or whose series all lack their value field.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MetricType } from "@lib/model/metric.ts";
 * const text = renderFamilyText({
 *   name: "up",
 *   type: MetricType.GAUGE,
 *   metric: [{ label: [{ name: "job", value: "x" }], gauge: { value: 1 } }],
 * });
 * assertEquals(text, '# TYPE up gauge\nup{job="x"} 1\n');
 * ```
 */
export function renderFamilyText(family: MetricFamily): string {
  if (family.metric.length === 0) return "";
  const pieces = textFamilyPieces(family);
  if (pieces === undefined) return "";
  const body = pieces.series(family.metric);
  return body === "" ? "" : pieces.head + body;
}

/**
 * Renders families one after another with {@linkcode renderFamilyText}.
 *
 * @param families The families, in output order.
 * @returns The concatenated text exposition.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(renderText([]), "");
 * ```
 */
export function renderText(families: MetricFamily[]): string {
  let out = "";
  for (const f of families) out += renderFamilyText(f);
  return out;
}
