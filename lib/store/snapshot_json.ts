/**
 * The JSON of the model as snapshot formats 1 and 2 write it, field by field
 * (`snapshot.ts` describes it): the encoders and the validating decoders,
 * which name the field path of any error. Format 3 writes whole metrics this
 * way only for series the compact form does not cover (`snapshot_v3.ts`).
 *
 * @module
 */

import type { Group, GroupingLabels, GroupTtl, StoredFamily } from "@lib/store/types.ts";
import { PUSH_EXPIRY_TIME_METRIC } from "@lib/store/types.ts";
import {
  type Bucket,
  type BucketSpan,
  type Counter,
  type Exemplar,
  type Histogram,
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricFamily,
  MetricType,
  type Quantile,
  type Summary,
  type Timestamp,
} from "@lib/model/metric.ts";
import {
  assignDefined,
  decodeNumber,
  encodeNumber,
  isObject,
  type Json,
  TYPES_BY_NAME,
} from "@lib/store/snapshot.ts";

// ---------------------------------------------------------------------------
// Encoding

/** Sets `out[key]` to the encoded `value` unless it is `undefined`. */
export function setNumber(out: Json, key: string, value: number | undefined): void {
  if (value !== undefined) out[key] = encodeNumber(value);
}

function setNumbers(out: Json, key: string, values: readonly number[]): void {
  if (values.length > 0) out[key] = values.map(encodeNumber);
}

function setList<T>(out: Json, key: string, values: readonly T[], encode: (v: T) => Json): void {
  if (values.length > 0) out[key] = values.map(encode);
}

function encodeLabel(pair: LabelPair): Json {
  return { name: pair.name, value: pair.value };
}

function encodeTimestamp(ts: Timestamp): Json {
  return { seconds: encodeNumber(ts.seconds), nanos: encodeNumber(ts.nanos) };
}

function setTimestamp(out: Json, key: string, ts: Timestamp | undefined): void {
  if (ts !== undefined) out[key] = encodeTimestamp(ts);
}

function encodeExemplar(ex: Exemplar): Json {
  const out: Json = {};
  setList(out, "label", ex.label, encodeLabel);
  setNumber(out, "value", ex.value);
  setTimestamp(out, "timestamp", ex.timestamp);
  return out;
}

function setExemplar(out: Json, key: string, ex: Exemplar | undefined): void {
  if (ex !== undefined) out[key] = encodeExemplar(ex);
}

function encodeValue(v: { value?: number }): Json {
  const out: Json = {};
  setNumber(out, "value", v.value);
  return out;
}

function encodeCounter(c: Counter): Json {
  const out: Json = {};
  setNumber(out, "value", c.value);
  setExemplar(out, "exemplar", c.exemplar);
  setTimestamp(out, "createdTimestamp", c.createdTimestamp);
  return out;
}

function encodeQuantile(q: Quantile): Json {
  const out: Json = {};
  setNumber(out, "quantile", q.quantile);
  setNumber(out, "value", q.value);
  return out;
}

function encodeSummary(s: Summary): Json {
  const out: Json = {};
  setNumber(out, "sampleCount", s.sampleCount);
  setNumber(out, "sampleSum", s.sampleSum);
  setList(out, "quantile", s.quantile, encodeQuantile);
  setTimestamp(out, "createdTimestamp", s.createdTimestamp);
  return out;
}

function encodeBucket(b: Bucket): Json {
  const out: Json = {};
  setNumber(out, "cumulativeCount", b.cumulativeCount);
  setNumber(out, "cumulativeCountFloat", b.cumulativeCountFloat);
  setNumber(out, "upperBound", b.upperBound);
  setExemplar(out, "exemplar", b.exemplar);
  return out;
}

function encodeSpan(s: BucketSpan): Json {
  const out: Json = {};
  setNumber(out, "offset", s.offset);
  setNumber(out, "length", s.length);
  return out;
}

function encodeHistogram(h: Histogram): Json {
  const out: Json = {};
  setNumber(out, "sampleCount", h.sampleCount);
  setNumber(out, "sampleCountFloat", h.sampleCountFloat);
  setNumber(out, "sampleSum", h.sampleSum);
  setList(out, "bucket", h.bucket, encodeBucket);
  setTimestamp(out, "createdTimestamp", h.createdTimestamp);
  setNumber(out, "schema", h.schema);
  setNumber(out, "zeroThreshold", h.zeroThreshold);
  setNumber(out, "zeroCount", h.zeroCount);
  setNumber(out, "zeroCountFloat", h.zeroCountFloat);
  setList(out, "negativeSpan", h.negativeSpan, encodeSpan);
  setNumbers(out, "negativeDelta", h.negativeDelta);
  setNumbers(out, "negativeCount", h.negativeCount);
  setList(out, "positiveSpan", h.positiveSpan, encodeSpan);
  setNumbers(out, "positiveDelta", h.positiveDelta);
  setNumbers(out, "positiveCount", h.positiveCount);
  setList(out, "exemplars", h.exemplars, encodeExemplar);
  return out;
}

/** Encodes one metric field by field (absent fields left out). */
export function encodeMetric(m: Metric): Json {
  const out: Json = {};
  setList(out, "label", m.label, encodeLabel);
  if (m.gauge !== undefined) out.gauge = encodeValue(m.gauge);
  if (m.counter !== undefined) out.counter = encodeCounter(m.counter);
  if (m.summary !== undefined) out.summary = encodeSummary(m.summary);
  if (m.untyped !== undefined) out.untyped = encodeValue(m.untyped);
  if (m.histogram !== undefined) out.histogram = encodeHistogram(m.histogram);
  setNumber(out, "timestampMs", m.timestampMs);
  return out;
}

function encodeFamily(stored: StoredFamily): Json {
  const f = stored.family;
  const out: Json = { name: f.name };
  if (f.help !== undefined) out.help = f.help;
  out.type = METRIC_TYPE_NAMES[f.type];
  if (f.unit !== undefined) out.unit = f.unit;
  out.lastPushMs = encodeNumber(stored.lastPushMs);
  setList(out, "metric", f.metric, encodeMetric);
  return out;
}

/**
 * Encodes one group as a line of format version 2 (version 3 writes groups
 * differently, see `snapshot_v3.ts`; this stays for tools and tests).
 *
 * @param group The group to encode.
 * @returns One line of JSON with its trailing newline.
 */
export function encodeGroupLine(group: Group): string {
  const families: Json[] = [];
  for (const [name, stored] of group.families) {
    if (name !== PUSH_EXPIRY_TIME_METRIC) families.push(encodeFamily(stored));
  }
  const ttl = group.ttl;
  if (ttl === undefined || (!ttl.fromHeader && ttl.deadlineMs === undefined)) {
    return JSON.stringify({ labels: { ...group.labels }, families }) + "\n";
  }
  const encodedTtl: Json = { fromHeader: ttl.fromHeader };
  setNumber(encodedTtl, "deadlineMs", ttl.deadlineMs);
  return JSON.stringify({ labels: { ...group.labels }, ttl: encodedTtl, families }) + "\n";
}

// ---------------------------------------------------------------------------
// Decoding

/**
 * Thrown inside the decoder. The field path is prepended segment by segment
 * as the error propagates, so decoding builds no path strings unless it fails.
 */
export class FieldError extends Error {
  path = "";
}

/** Rethrows `err` with `segment` prepended to its path. */
export function rethrowAt(segment: string, err: unknown): never {
  if (err instanceof FieldError) err.path = segment + err.path;
  throw err;
}

/** `v` as a JSON object, or a {@linkcode FieldError}. */
export function obj(v: unknown): Json {
  if (!isObject(v)) throw new FieldError("expected an object");
  return v;
}

/** `v` as a string, or a {@linkcode FieldError}. */
export function str(v: unknown): string {
  if (typeof v !== "string") throw new FieldError("expected a string");
  return v;
}

/** `v` as an encoded number, or a {@linkcode FieldError}. */
export function num(v: unknown): number {
  const n = decodeNumber(v);
  if (n === undefined) throw new FieldError("expected a number");
  return n;
}

/** Decodes the required field `key`. */
function req<T>(o: Json, key: string, decode: (v: unknown) => T): T {
  try {
    return decode(o[key]);
  } catch (err) {
    rethrowAt(`.${key}`, err);
  }
}

/** Decodes the optional field `key`; `undefined` when absent. */
function opt<T>(o: Json, key: string, decode: (v: unknown) => T): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  try {
    return decode(v);
  } catch (err) {
    rethrowAt(`.${key}`, err);
  }
}

/** Decodes the repeated field `key`; `[]` when absent. */
function list<T>(o: Json, key: string, decode: (v: unknown) => T): T[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) rethrowAt(`.${key}`, new FieldError("expected an array"));
  const out: T[] = new Array(v.length);
  let i = 0;
  try {
    for (; i < v.length; i++) out[i] = decode(v[i]);
  } catch (err) {
    rethrowAt(`.${key}[${i}]`, err);
  }
  return out;
}

function decodeLabel(v: unknown): LabelPair {
  const o = obj(v);
  return { name: req(o, "name", str), value: req(o, "value", str) };
}

function decodeTimestamp(v: unknown): Timestamp {
  const o = obj(v);
  return { seconds: req(o, "seconds", num), nanos: req(o, "nanos", num) };
}

function decodeExemplar(v: unknown): Exemplar {
  const o = obj(v);
  return assignDefined<Exemplar>({ label: list(o, "label", decodeLabel) }, {
    value: opt(o, "value", num),
    timestamp: opt(o, "timestamp", decodeTimestamp),
  });
}

function decodeValue(v: unknown): { value?: number } {
  const o = obj(v);
  return assignDefined({}, { value: opt(o, "value", num) });
}

function decodeCounter(v: unknown): Counter {
  const o = obj(v);
  return assignDefined<Counter>({}, {
    value: opt(o, "value", num),
    exemplar: opt(o, "exemplar", decodeExemplar),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
  });
}

function decodeQuantile(v: unknown): Quantile {
  const o = obj(v);
  return assignDefined<Quantile>({}, {
    quantile: opt(o, "quantile", num),
    value: opt(o, "value", num),
  });
}

function decodeSummary(v: unknown): Summary {
  const o = obj(v);
  return assignDefined<Summary>({ quantile: list(o, "quantile", decodeQuantile) }, {
    sampleCount: opt(o, "sampleCount", num),
    sampleSum: opt(o, "sampleSum", num),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
  });
}

function decodeBucket(v: unknown): Bucket {
  const o = obj(v);
  return assignDefined<Bucket>({}, {
    cumulativeCount: opt(o, "cumulativeCount", num),
    cumulativeCountFloat: opt(o, "cumulativeCountFloat", num),
    upperBound: opt(o, "upperBound", num),
    exemplar: opt(o, "exemplar", decodeExemplar),
  });
}

function decodeSpan(v: unknown): BucketSpan {
  const o = obj(v);
  return assignDefined<BucketSpan>({}, {
    offset: opt(o, "offset", num),
    length: opt(o, "length", num),
  });
}

function decodeHistogram(v: unknown): Histogram {
  const o = obj(v);
  const h: Histogram = {
    bucket: list(o, "bucket", decodeBucket),
    negativeSpan: list(o, "negativeSpan", decodeSpan),
    negativeDelta: list(o, "negativeDelta", num),
    negativeCount: list(o, "negativeCount", num),
    positiveSpan: list(o, "positiveSpan", decodeSpan),
    positiveDelta: list(o, "positiveDelta", num),
    positiveCount: list(o, "positiveCount", num),
    exemplars: list(o, "exemplars", decodeExemplar),
  };
  return assignDefined(h, {
    sampleCount: opt(o, "sampleCount", num),
    sampleCountFloat: opt(o, "sampleCountFloat", num),
    sampleSum: opt(o, "sampleSum", num),
    createdTimestamp: opt(o, "createdTimestamp", decodeTimestamp),
    schema: opt(o, "schema", num),
    zeroThreshold: opt(o, "zeroThreshold", num),
    zeroCount: opt(o, "zeroCount", num),
    zeroCountFloat: opt(o, "zeroCountFloat", num),
  });
}

/** Decodes one metric field by field. */
export function decodeMetric(v: unknown): Metric {
  const o = obj(v);
  return assignDefined<Metric>({ label: list(o, "label", decodeLabel) }, {
    gauge: opt(o, "gauge", decodeValue),
    counter: opt(o, "counter", decodeCounter),
    summary: opt(o, "summary", decodeSummary),
    untyped: opt(o, "untyped", decodeValue),
    histogram: opt(o, "histogram", decodeHistogram),
    timestampMs: opt(o, "timestampMs", num),
  });
}

/** Decodes an upper-case metric type name. */
export function metricType(v: unknown): MetricType {
  const type = TYPES_BY_NAME.get(str(v));
  if (type === undefined) throw new FieldError("unknown metric type");
  return type;
}

function decodeFamily(v: unknown): StoredFamily {
  const o = obj(v);
  const family = assignDefined<MetricFamily>({
    name: req(o, "name", str),
    type: req(o, "type", metricType),
    metric: list(o, "metric", decodeMetric),
  }, {
    help: opt(o, "help", str),
    unit: opt(o, "unit", str),
  });
  return { family, lastPushMs: req(o, "lastPushMs", num) };
}

/**
 * Decodes grouping labels (an object of strings; `__proto__` stays an ordinary
 * entry). The object `JSON.parse` made is kept as it is: it defines every key,
 * `"__proto__"` included, as an own data property, in file order.
 */
export function decodeLabels(v: unknown): GroupingLabels {
  const labels = obj(v);
  for (const name in labels) {
    if (typeof labels[name] !== "string") {
      rethrowAt(`[${JSON.stringify(name)}]`, new FieldError("expected a string"));
    }
  }
  return labels as GroupingLabels;
}

function bool(v: unknown): boolean {
  if (typeof v !== "boolean") throw new FieldError("expected a boolean");
  return v;
}

/** Decodes a group's `ttl` (format 2 and later). */
export function decodeTtl(v: unknown): GroupTtl {
  const o = obj(v);
  return { fromHeader: req(o, "fromHeader", bool), deadlineMs: opt(o, "deadlineMs", num) };
}

/** Decodes a group line of format `version` (version 1 has no `ttl`). */
export function decodeGroup(v: unknown, version: number): Group {
  const o = obj(v);
  const labels = req(o, "labels", decodeLabels);
  const ttl = version >= 2 ? opt(o, "ttl", decodeTtl) : undefined;
  const families = new Map<string, StoredFamily>();
  list(o, "families", decodeFamily).forEach((stored, i) => {
    if (families.has(stored.family.name)) {
      const err = new FieldError(`duplicate family ${JSON.stringify(stored.family.name)}`);
      rethrowAt(`.families[${i}]`, err);
    }
    families.set(stored.family.name, stored);
  });
  return ttl === undefined ? { labels, families } : { labels, families, ttl };
}
