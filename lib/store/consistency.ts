/**
 * The per-metric checks of client_golang's gather (the "consistency check"),
 * and the texts of its errors. The cross-store parts (types, duplicates,
 * suffix collisions) live in the store's index; this module holds the pure
 * per-metric rules and message formatting.
 *
 * @module
 */

import {
  type Exemplar,
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";

/** Formats a number the way Go's protobuf text format does (shortest form, Go-style exponent). */
function protoNumber(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  const s = String(v);
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function dumpLabels(labels: readonly LabelPair[]): string {
  return labels.map((l) => `label:<name:${quote(l.name)} value:${quote(l.value)} > `).join("");
}

function dumpExemplar(e: Exemplar | undefined): string {
  if (!e) return "";
  const value = e.value === undefined ? "" : `value:${protoNumber(e.value)} `;
  return `exemplar:<${dumpLabels(e.label)}${value}> `;
}

/**
 * A compact protobuf-text dump of a metric, in the style of the messages of
 * Debian's 1.5.1 (`label:<name:"job" value:"x" > gauge:<value:1 > `). Upstream
 * does not keep this text stable across versions; clients must not parse it.
 */
function dumpMetric(m: Metric): string {
  let out = dumpLabels(m.label);
  if (m.gauge) out += `gauge:<value:${protoNumber(m.gauge.value ?? 0)} > `;
  if (m.counter) {
    out += `counter:<value:${protoNumber(m.counter.value ?? 0)} ${
      dumpExemplar(m.counter.exemplar)
    }> `;
  }
  if (m.untyped) out += `untyped:<value:${protoNumber(m.untyped.value ?? 0)} > `;
  if (m.summary) {
    const s = m.summary;
    const q = s.quantile.map((x) =>
      `quantile:<quantile:${protoNumber(x.quantile ?? 0)} value:${protoNumber(x.value ?? 0)} > `
    ).join("");
    out += `summary:<sample_count:${s.sampleCount ?? 0} sample_sum:${
      protoNumber(s.sampleSum ?? 0)
    } ${q}> `;
  }
  if (m.histogram) {
    const h = m.histogram;
    const b = h.bucket.map((x) =>
      `bucket:<cumulative_count:${x.cumulativeCount ?? 0} upper_bound:${
        protoNumber(x.upperBound ?? 0)
      } > `
    ).join("");
    out += `histogram:<sample_count:${h.sampleCount ?? 0} sample_sum:${
      protoNumber(h.sampleSum ?? 0)
    } ${b}> `;
  }
  if (m.timestampMs !== undefined) out += `timestamp_ms:${m.timestampMs} `;
  return out;
}

/** `collected metric "name" { dump}` — the prefix of client_golang's per-metric errors. */
export function collectedMetric(name: string, m: Metric): string {
  return `collected metric ${quote(name)} { ${dumpMetric(m)}}`;
}

/** True when the metric carries the value field that `type` requires. */
function metricMatchesType(m: Metric, type: MetricType): boolean {
  switch (type) {
    case MetricType.COUNTER:
      return m.counter !== undefined;
    case MetricType.GAUGE:
      return m.gauge !== undefined;
    case MetricType.SUMMARY:
      return m.summary !== undefined;
    case MetricType.UNTYPED:
      return m.untyped !== undefined;
    case MetricType.HISTOGRAM:
      return m.histogram !== undefined;
    case MetricType.GAUGE_HISTOGRAM:
      // Stricter than client_golang, which does not check gauge histograms: one without histogram
      // data cannot be rendered, so upstream stores it and the scrape breaks.
      return m.histogram !== undefined;
  }
}

/** Label names valid for the check: any well-formed UTF-8, non-empty, not starting with `__` (common v0.69 UTF-8 scheme). */
function labelNameAllowed(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !name.startsWith("__");
}

/**
 * The per-metric rules of client_golang's `checkMetricConsistency`, except the
 * uniqueness rule: value field matches the family type, no repeated label
 * names, valid label names, no explicit `quantile` label on summaries (nor,
 * stricter than client_golang, `le` on histograms), well-formed label values. Returns the error text, or
 * undefined when the metric passes. `labels` must be sorted by name.
 */
export function checkMetric(name: string, familyType: MetricType, m: Metric): string | undefined {
  if (!metricMatchesType(m, familyType)) {
    return `${collectedMetric(name, m)} is not a ${METRIC_TYPE_NAMES[familyType]}`;
  }
  let previous = "";
  for (const pair of m.label) {
    if (pair.name === previous) {
      return `${collectedMetric(name, m)} has two or more labels with the same name: ${pair.name}`;
    }
    if (!labelNameAllowed(pair.name)) {
      return `${collectedMetric(name, m)} has a label with an invalid name: ${pair.name}`;
    }
    if (m.summary && pair.name === "quantile") {
      return `${collectedMetric(name, m)} must not have an explicit "quantile" label`;
    }
    // Stricter than client_golang, which has this rule for summaries only: the text format adds
    // `le` to every bucket line, and a second `le` (e.g. from a grouping label) makes Prometheus
    // refuse the whole scrape.
    if (m.histogram && pair.name === "le") {
      return `${collectedMetric(name, m)} must not have an explicit "le" label`;
    }
    if (!pair.value.isWellFormed()) {
      return `${collectedMetric(name, m)} has a label named ${
        quote(pair.name)
      } whose value is not utf8: ${quote(pair.value)}`;
    }
    previous = pair.name;
  }
  return undefined;
}

/** Types rendered with `_bucket`, `_sum` and `_count` lines in the text format. */
function isHistogramLike(type: MetricType | undefined): boolean {
  return type === MetricType.HISTOGRAM || type === MetricType.GAUGE_HISTOGRAM;
}

/**
 * Client_golang's suffix-collision texts, given the post-push type lookup. Gauge histograms count
 * as histograms here (client_golang ignores them): the text format renders them as histograms, so
 * a family `x_count` beside a gauge histogram `x` would repeat a metric name in the scrape.
 */
export function checkSuffixCollisions(
  family: MetricFamily,
  typeOf: (name: string) => MetricType | undefined,
): string | undefined {
  const name = family.name;
  let base = "";
  if (name.endsWith("_count")) base = name.slice(0, -6);
  else if (name.endsWith("_sum")) base = name.slice(0, -4);
  else if (name.endsWith("_bucket")) base = name.slice(0, -7);
  if (base !== "") {
    const baseType = typeOf(base);
    if (baseType === MetricType.SUMMARY && !name.endsWith("_bucket")) {
      return `collected metric named ${
        quote(name)
      } collides with previously collected summary named ${quote(base)}`;
    }
    if (isHistogramLike(baseType)) {
      return `collected metric named ${
        quote(name)
      } collides with previously collected histogram named ${quote(base)}`;
    }
  }
  const suffixes = isHistogramLike(family.type)
    ? ["_count", "_sum", "_bucket"]
    : family.type === MetricType.SUMMARY
    ? ["_count", "_sum"]
    : [];
  for (const suffix of suffixes) {
    if (typeOf(name + suffix) !== undefined) {
      const what = suffix === "_bucket" ? "histogram" : "histogram or summary";
      return `collected ${what} named ${
        quote(name)
      } collides with previously collected metric named ${quote(name + suffix)}`;
    }
  }
  return undefined;
}

/** Joins errors the way client_golang's `MultiError.MaybeUnwrap` prints them. */
export function joinErrors(errors: readonly string[]): string {
  if (errors.length === 1) return errors[0] as string;
  return `${errors.length} error(s) occurred:` + errors.map((e) => `\n* ${e}`).join("");
}
