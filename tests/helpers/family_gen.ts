/**
 * Seeded generator of metric families for the OpenMetrics renderer checks:
 * the differential test against Go's encoder (prometheus/common 0.39) and the
 * check that Python's strict OpenMetrics parser accepts our scrapes.
 *
 * Both corpora hold counters (with and without `_total`), gauges, untyped
 * families, classic histograms and summaries, with escapes in help and label
 * values, special floats, exemplars and sample timestamps. What 0.39 cannot
 * represent (units, gauge histograms, created timestamps, names needing quotes,
 * exemplars without labels, float histograms) is never generated; the newest
 * rules for those are pinned by table tests.
 *
 * The `python` corpus leaves out what Python's parser refuses although Go's
 * encoder writes it unchecked ({@linkcode PYTHON_EXCLUSIONS}).
 *
 * @module
 */

import type { Exemplar, LabelPair, Metric, MetricFamily } from "@lib/model/metric.ts";
import { emptyHistogram, MetricType } from "@lib/model/metric.ts";
import type { Prng } from "@lib/expfmt/fuzz_gen.ts";

/** Which corpus to generate. */
export type FamilyCorpus = "go" | "python";

/**
 * Data the Pushgateway stores and Go's encoder writes that Python's
 * OpenMetrics parser refuses, kept out of the `python` corpus (each pinned by
 * an example in `tests/interop_openmetrics_python_test.ts`).
 */
export const PYTHON_EXCLUSIONS: readonly { id: string; description: string }[] = [
  { id: "negative-counter", description: "negative counter values" },
  { id: "bad-sum", description: "negative or NaN histogram and summary sums (counter-like)" },
  { id: "negative-quantile", description: "negative quantile values" },
  { id: "quantile-range", description: "quantiles outside [0, 1]" },
  { id: "negative-bucket-sum", description: "histograms with negative bucket bounds and a `_sum`" },
  { id: "bucket-order", description: "histogram buckets out of order" },
  { id: "inf-bucket-count", description: "an explicit `+Inf` bucket that differs from the count" },
  { id: "long-exemplar", description: "exemplar labels longer than 128 characters" },
  {
    id: "exemplar-brace",
    description: "exemplar label values with `}` (Python's parser stops at the first `}`)",
  },
  {
    id: "unknown-counter-exemplar",
    description: "exemplars on counters without `_total` (Go types them `unknown`)",
  },
  {
    id: "colon-label",
    description: "label names with `:` (valid in metric names, so Go writes them unquoted)",
  },
  { id: "quoted-name", description: "quoted (UTF-8) names" },
  {
    id: "gauge-histogram",
    description: "gauge histograms: Go writes `_sum`/`_count` where OpenMetrics wants " +
      "`_gsum`/`_gcount`, so Python reads them as two more (unknown) families",
  },
  {
    id: "duplicate-series",
    description: "two series with the same labels in one family (Python keeps the first only)",
  },
  { id: "name-clash", description: "family names whose suffixed names clash (`x` and `x_total`)" },
];

const SPECIAL = [
  0,
  -0,
  1,
  -1,
  0.5,
  2.5,
  -2.5,
  100,
  999999,
  1e6,
  1234567,
  0.0001,
  0.00001,
  123.456,
  0.1 + 0.2,
  2 ** 53,
  1e21,
  1.5e300,
  5e-324,
  -1e-7,
  NaN,
  Infinity,
  -Infinity,
];

const LABEL_NAMES = ["job", "instance", "a", "_x", "path", "code", "method", "le_x", "a1"];
const LABEL_VALUES = [
  "",
  "x",
  'with "quotes"',
  "back\\slash",
  "new\nline",
  "ünïcödé",
  "{}",
  " # ",
  "a=b,c",
  "😀",
  "trailing\\",
];
const HELPS = ["", "Plain help.", 'Help with \\ and "quotes"', "multi\nline", "ü 😀", "\\n"];
const STEMS = ["requests", "latency_seconds", "bytes", "jobs", "temp", "x", "a:b", "_under"];
const BOUNDS = [-1, 0, 0.005, 0.1, 0.25, 1, 2.5, 10, 100, 1e6, Infinity];

/** A float; non-negative and not NaN when `counterLike`. */
function float(r: Prng, counterLike: boolean): number {
  for (;;) {
    const v = r.chance(0.6) ? r.pick(SPECIAL) : (r.next() / 2 ** 16 - 2 ** 15) / 7;
    if (!counterLike || v >= 0) return v;
  }
}

function labels(r: Prng, corpus: FamilyCorpus, avoid: string): LabelPair[] {
  const names = corpus === "go" ? [...LABEL_NAMES, "a:b"] : LABEL_NAMES;
  const out: LabelPair[] = [];
  const n = r.int(4);
  for (let i = 0; i < n; i++) {
    const name = r.pick(names);
    if (name === avoid || out.some((l) => l.name === name)) continue;
    out.push({ name, value: r.pick(LABEL_VALUES) });
  }
  return out;
}

function exemplar(r: Prng, corpus: FamilyCorpus): Exemplar {
  const label: LabelPair[] = [{ name: "trace_id", value: (r.next() >>> 0).toString(16) }];
  const values = corpus === "go" ? LABEL_VALUES : LABEL_VALUES.filter((v) => !v.includes("}"));
  if (r.chance(0.3)) label.push({ name: "span_id", value: r.pick(values) });
  if (corpus === "go" && r.chance(0.1)) label.push({ name: "long", value: "x".repeat(130) });
  const e: Exemplar = { label, value: float(r, false) };
  if (r.chance(0.6)) {
    const seconds = corpus === "go" && r.chance(0.2) ? -r.int(1e9) : 1.6e9 + r.int(1e8);
    e.timestamp = { seconds, nanos: r.chance(0.5) ? 0 : r.int(1e9) };
  }
  return e;
}

function histogramMetric(r: Prng, corpus: FamilyCorpus, m: Metric): void {
  const h = emptyHistogram();
  const bounds = BOUNDS.filter((b) => (corpus === "go" || b >= 0) && r.chance(0.5));
  let count = 0;
  for (const upperBound of bounds) {
    count += r.int(5);
    const b: { upperBound: number; cumulativeCount: number; exemplar?: Exemplar } = {
      upperBound,
      cumulativeCount: count,
    };
    if (r.chance(0.3)) b.exemplar = exemplar(r, corpus);
    h.bucket.push(b);
  }
  if (corpus === "go" && r.chance(0.2)) h.bucket.reverse();
  const hasInf = bounds.includes(Infinity);
  h.sampleCount = hasInf && corpus === "python" ? count : count + r.int(3);
  h.sampleSum = float(r, corpus === "python");
  m.histogram = h;
}

function summaryMetric(r: Prng, corpus: FamilyCorpus, m: Metric): void {
  const qs = [0, 0.5, 0.9, 0.99, 1].filter(() => r.chance(0.5));
  if (corpus === "go" && r.chance(0.2)) qs.push(r.pick([-0.5, 1.5, NaN]));
  m.summary = {
    quantile: qs.map((quantile) => ({ quantile, value: float(r, corpus === "python") })),
    sampleCount: r.int(1000),
    sampleSum: float(r, corpus === "python"),
  };
}

/**
 * One random family named after `index` (so names never clash in a corpus).
 *
 * @param r The random source.
 * @param corpus `go` for the 0.39 differential, `python` for Python's parser.
 * @param index A number that makes the family name unique.
 * @returns The family.
 */
export function generateFamily(r: Prng, corpus: FamilyCorpus, index: number): MetricFamily {
  const type = r.pick([
    MetricType.COUNTER,
    MetricType.GAUGE,
    MetricType.UNTYPED,
    MetricType.HISTOGRAM,
    MetricType.SUMMARY,
  ]);
  let name = `f${index}_${r.pick(STEMS)}`;
  const total = type === MetricType.COUNTER && r.chance(0.8);
  if (total) name += "_total";
  const family: MetricFamily = { name, type, metric: [] };
  if (r.chance(0.7)) family.help = r.pick(HELPS);
  const avoid = type === MetricType.HISTOGRAM
    ? "le"
    : type === MetricType.SUMMARY
    ? "quantile"
    : "";
  const seen = new Set<string>();
  const series = r.int(4) + 1;
  for (let i = 0; i < series; i++) {
    const m: Metric = { label: labels(r, corpus, avoid) };
    const key = JSON.stringify(m.label);
    if (seen.has(key)) continue;
    seen.add(key);
    if (r.chance(0.1)) m.timestampMs = r.chance(0.5) ? 1.7e12 + r.int(1e9) : -r.int(1e6);
    switch (type) {
      case MetricType.COUNTER:
        m.counter = { value: float(r, corpus === "python") };
        if (r.chance(0.4) && (total || corpus === "go")) m.counter.exemplar = exemplar(r, corpus);
        break;
      case MetricType.GAUGE:
        m.gauge = { value: float(r, false) };
        break;
      case MetricType.UNTYPED:
        m.untyped = { value: float(r, false) };
        break;
      case MetricType.HISTOGRAM:
        histogramMetric(r, corpus, m);
        break;
      default:
        summaryMetric(r, corpus, m);
    }
    family.metric.push(m);
  }
  return family;
}

/**
 * `count` random families, named uniquely.
 *
 * @param r The random source.
 * @param corpus `go` or `python`.
 * @param count How many.
 * @returns The families.
 */
export function generateFamilies(r: Prng, corpus: FamilyCorpus, count: number): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (let i = 0; i < count; i++) out.push(generateFamily(r, corpus, i));
  return out;
}
