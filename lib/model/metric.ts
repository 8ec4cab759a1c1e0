/**
 * A typed model of `io.prometheus.client.MetricFamily` (client_model
 * `metrics.proto`), shared by the parsers, renderers, the store and the
 * snapshot format.
 *
 * proto2 field presence is kept: an optional field that is `undefined` was
 * absent on the wire, which matters for lossless round trips (for example a
 * present-but-empty `help` renders `# HELP name ` while an absent one renders
 * no HELP line). 64-bit integers are JavaScript numbers: exact up to 2^53.
 *
 * @module
 */

/** Metric types with their protobuf enum numbers. */
export const MetricType = {
  COUNTER: 0,
  GAUGE: 1,
  SUMMARY: 2,
  UNTYPED: 3,
  HISTOGRAM: 4,
  GAUGE_HISTOGRAM: 5,
} as const;

/** One of the {@linkcode MetricType} numbers. */
export type MetricType = typeof MetricType[keyof typeof MetricType];

/** The upper-case names of the metric types, as the JSON API shows them. */
export const METRIC_TYPE_NAMES: Readonly<Record<MetricType, string>> = {
  0: "COUNTER",
  1: "GAUGE",
  2: "SUMMARY",
  3: "UNTYPED",
  4: "HISTOGRAM",
  5: "GAUGE_HISTOGRAM",
};

/** A label name and value. */
export interface LabelPair {
  name: string;
  value: string;
}

/** `google.protobuf.Timestamp`. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

/** An exemplar attached to a counter or a histogram bucket. */
export interface Exemplar {
  label: LabelPair[];
  value?: number;
  timestamp?: Timestamp;
}

/** Gauge value. */
export interface Gauge {
  value?: number;
}

/** Counter value. */
export interface Counter {
  value?: number;
  exemplar?: Exemplar;
  createdTimestamp?: Timestamp;
}

/** Untyped value. */
export interface Untyped {
  value?: number;
}

/** One summary quantile. */
export interface Quantile {
  quantile?: number;
  value?: number;
}

/** Summary value. */
export interface Summary {
  sampleCount?: number;
  sampleSum?: number;
  quantile: Quantile[];
  createdTimestamp?: Timestamp;
}

/** A classic histogram bucket (cumulative). */
export interface Bucket {
  cumulativeCount?: number;
  cumulativeCountFloat?: number;
  upperBound?: number;
  exemplar?: Exemplar;
}

/** A span of native-histogram buckets. */
export interface BucketSpan {
  offset?: number;
  length?: number;
}

/** Histogram value: classic buckets and/or native (sparse) buckets. */
export interface Histogram {
  sampleCount?: number;
  sampleCountFloat?: number;
  sampleSum?: number;
  bucket: Bucket[];
  createdTimestamp?: Timestamp;
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: number;
  zeroCountFloat?: number;
  negativeSpan: BucketSpan[];
  negativeDelta: number[];
  negativeCount: number[];
  positiveSpan: BucketSpan[];
  positiveDelta: number[];
  positiveCount: number[];
  exemplars: Exemplar[];
}

/** One series of a family. At most one of the value fields is set. */
export interface Metric {
  label: LabelPair[];
  gauge?: Gauge;
  counter?: Counter;
  summary?: Summary;
  untyped?: Untyped;
  histogram?: Histogram;
  timestampMs?: number;
}

/** A metric family: name, optional help, type and series. */
export interface MetricFamily {
  name: string;
  help?: string;
  type: MetricType;
  unit?: string;
  metric: Metric[];
}

/**
 * A classic histogram (buckets, no native parts) with all repeated fields
 * present, built in one literal so that every such histogram shares one shape.
 */
export function classicHistogram(
  sampleCount: number,
  sampleSum: number,
  bucket: Histogram["bucket"],
): Histogram {
  return {
    sampleCount,
    sampleSum,
    bucket,
    negativeSpan: [],
    negativeDelta: [],
    negativeCount: [],
    positiveSpan: [],
    positiveDelta: [],
    positiveCount: [],
    exemplars: [],
  };
}

/** Returns an empty {@linkcode Histogram} with all repeated fields present. */
export function emptyHistogram(): Histogram {
  return {
    bucket: [],
    negativeSpan: [],
    negativeDelta: [],
    negativeCount: [],
    positiveSpan: [],
    positiveDelta: [],
    positiveCount: [],
    exemplars: [],
  };
}

/**
 * The sample lines a series renders in the text format: 1 for a counter,
 * gauge or untyped series, a summary's quantiles plus `_sum` and `_count`, a
 * histogram's buckets plus `+Inf`, `_sum` and `_count`.
 *
 * @param m The series.
 * @returns At least 1.
 */
export function sampleLineCount(m: Metric): number {
  if (m.histogram !== undefined) return m.histogram.bucket.length + 3;
  if (m.summary !== undefined) return m.summary.quantile.length + 2;
  return 1;
}
