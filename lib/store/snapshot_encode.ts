/**
 * Writing snapshots (format in `snapshot.ts`): one line at a time, so a large store streams to
 * disk, with the running SHA-256 for the trailer.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { type Group, PUSH_EXPIRY_TIME_METRIC, type StoredFamily } from "@lib/store/types.ts";
import {
  type Bucket,
  type BucketSpan,
  type Counter,
  type Exemplar,
  type Histogram,
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  type Quantile,
  type Summary,
  type Timestamp,
} from "@lib/model/metric.ts";
import { encodeNumber, type Json, SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from "@lib/store/snapshot.ts";

function setNumber(out: Json, key: string, value: number | undefined): void {
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

function encodeMetric(m: Metric): Json {
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
 * Encodes the header line.
 *
 * @returns The header line with its trailing newline.
 */
export function encodeHeaderLine(): string {
  return JSON.stringify({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION }) + "\n";
}

/**
 * Encodes one group as a snapshot line.
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

/**
 * Encodes the trailer line.
 *
 * @param groups The number of group lines written.
 * @param sha256 The hex SHA-256 of everything before the trailer.
 * @returns The trailer line with its trailing newline.
 */
export function encodeTrailerLine(groups: number, sha256: string): string {
  return JSON.stringify({ groups, sha256 }) + "\n";
}

/**
 * Produces a snapshot piece by piece while keeping the running checksum:
 * call {@linkcode SnapshotEncoder.header} once, then
 * {@linkcode SnapshotEncoder.group} per group, then
 * {@linkcode SnapshotEncoder.trailer} once, and write the returned strings
 * in order.
 */
export class SnapshotEncoder {
  #hash: Hash = createHash("sha256");
  #groups = 0;

  /**
   * Returns the header line.
   *
   * @returns The header line with its newline.
   */
  header(): string {
    return this.#add(encodeHeaderLine());
  }

  /**
   * Returns the line of one group.
   *
   * @param group The group.
   * @returns The group line with its newline.
   */
  group(group: Group): string {
    this.#groups++;
    return this.#add(encodeGroupLine(group));
  }

  /**
   * Returns the trailer; the encoder must not be used afterwards.
   *
   * @returns The trailer line with its newline.
   */
  trailer(): string {
    return encodeTrailerLine(this.#groups, this.#hash.digest("hex"));
  }

  /** The number of groups encoded so far. */
  get groups(): number {
    return this.#groups;
  }

  #add(line: string): string {
    this.#hash.update(line, "utf8");
    return line;
  }
}

/**
 * Encodes a whole snapshot into one string (for tests and small stores; the
 * file writer streams with {@linkcode SnapshotEncoder} instead).
 *
 * @param groups The groups.
 * @returns The complete snapshot text.
 */
export function encodeSnapshot(groups: Iterable<Group>): string {
  const encoder = new SnapshotEncoder();
  let text = encoder.header();
  for (const group of groups) text += encoder.group(group);
  return text + encoder.trailer();
}
