/**
 * Encoding of `io.prometheus.client.MetricFamily` (client_model
 * `metrics.proto`), both as one message body and as the varint-size-delimited
 * stream that scrapes use.
 *
 * Fields are written in field-number order and repeated scalars unpacked, as
 * Go does for this proto2 file, so the bytes match client_golang's. Pure: no
 * I/O.
 *
 * @module
 */

import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type {
  Bucket,
  BucketSpan,
  Counter,
  Exemplar,
  Gauge,
  Histogram,
  LabelPair,
  Metric,
  MetricFamily,
  Summary,
  Timestamp,
  Untyped,
} from "@lib/model/metric.ts";
import { BIT64, LEN, VARINT, writeInt64, writeSint64, writeUint64 } from "@lib/protobuf/wire.ts";

function writeLabelPairs(w: BinaryWriter, fieldNo: number, labels: LabelPair[]): void {
  for (let i = 0; i < labels.length; i++) {
    const pair = labels[i]!;
    w.tag(fieldNo, LEN).fork();
    w.tag(1, LEN).string(pair.name);
    w.tag(2, LEN).string(pair.value);
    w.join();
  }
}

/** `google.protobuf.Timestamp` is proto3: zero fields are not written. */
function writeTimestamp(w: BinaryWriter, fieldNo: number, ts: Timestamp): void {
  w.tag(fieldNo, LEN).fork();
  if (ts.seconds !== 0) {
    w.tag(1, VARINT);
    writeInt64(w, ts.seconds);
  }
  if (ts.nanos !== 0) w.tag(2, VARINT).int32(ts.nanos | 0);
  w.join();
}

function writeExemplar(w: BinaryWriter, fieldNo: number, ex: Exemplar): void {
  w.tag(fieldNo, LEN).fork();
  writeLabelPairs(w, 1, ex.label);
  if (ex.value !== undefined) w.tag(2, BIT64).double(ex.value);
  if (ex.timestamp !== undefined) writeTimestamp(w, 3, ex.timestamp);
  w.join();
}

function writeValueOnly(w: BinaryWriter, fieldNo: number, g: Gauge | Untyped): void {
  w.tag(fieldNo, LEN).fork();
  if (g.value !== undefined) w.tag(1, BIT64).double(g.value);
  w.join();
}

function writeCounter(w: BinaryWriter, c: Counter): void {
  w.tag(3, LEN).fork();
  if (c.value !== undefined) w.tag(1, BIT64).double(c.value);
  if (c.exemplar !== undefined) writeExemplar(w, 2, c.exemplar);
  if (c.createdTimestamp !== undefined) writeTimestamp(w, 3, c.createdTimestamp);
  w.join();
}

function writeSummary(w: BinaryWriter, s: Summary): void {
  w.tag(4, LEN).fork();
  if (s.sampleCount !== undefined) {
    w.tag(1, VARINT);
    writeUint64(w, s.sampleCount);
  }
  if (s.sampleSum !== undefined) w.tag(2, BIT64).double(s.sampleSum);
  for (let i = 0; i < s.quantile.length; i++) {
    const q = s.quantile[i]!;
    w.tag(3, LEN).fork();
    if (q.quantile !== undefined) w.tag(1, BIT64).double(q.quantile);
    if (q.value !== undefined) w.tag(2, BIT64).double(q.value);
    w.join();
  }
  if (s.createdTimestamp !== undefined) writeTimestamp(w, 4, s.createdTimestamp);
  w.join();
}

function writeBucket(w: BinaryWriter, b: Bucket): void {
  w.tag(3, LEN).fork();
  if (b.cumulativeCount !== undefined) {
    w.tag(1, VARINT);
    writeUint64(w, b.cumulativeCount);
  }
  if (b.upperBound !== undefined) w.tag(2, BIT64).double(b.upperBound);
  if (b.exemplar !== undefined) writeExemplar(w, 3, b.exemplar);
  if (b.cumulativeCountFloat !== undefined) w.tag(4, BIT64).double(b.cumulativeCountFloat);
  w.join();
}

function writeSpans(w: BinaryWriter, fieldNo: number, spans: BucketSpan[]): void {
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    w.tag(fieldNo, LEN).fork();
    if (span.offset !== undefined) w.tag(1, VARINT).sint32(span.offset | 0);
    if (span.length !== undefined) w.tag(2, VARINT).uint32(span.length >>> 0);
    w.join();
  }
}

/** Repeated sint64, unpacked as Go writes this proto2 field. */
function writeDeltas(w: BinaryWriter, fieldNo: number, deltas: number[]): void {
  for (let i = 0; i < deltas.length; i++) {
    w.tag(fieldNo, VARINT);
    writeSint64(w, deltas[i]!);
  }
}

/** Repeated double, unpacked as Go writes this proto2 field. */
function writeCounts(w: BinaryWriter, fieldNo: number, counts: number[]): void {
  for (let i = 0; i < counts.length; i++) w.tag(fieldNo, BIT64).double(counts[i]!);
}

function writeHistogram(w: BinaryWriter, h: Histogram): void {
  w.tag(7, LEN).fork();
  if (h.sampleCount !== undefined) {
    w.tag(1, VARINT);
    writeUint64(w, h.sampleCount);
  }
  if (h.sampleSum !== undefined) w.tag(2, BIT64).double(h.sampleSum);
  for (let i = 0; i < h.bucket.length; i++) writeBucket(w, h.bucket[i]!);
  if (h.sampleCountFloat !== undefined) w.tag(4, BIT64).double(h.sampleCountFloat);
  if (h.schema !== undefined) w.tag(5, VARINT).sint32(h.schema | 0);
  if (h.zeroThreshold !== undefined) w.tag(6, BIT64).double(h.zeroThreshold);
  if (h.zeroCount !== undefined) {
    w.tag(7, VARINT);
    writeUint64(w, h.zeroCount);
  }
  if (h.zeroCountFloat !== undefined) w.tag(8, BIT64).double(h.zeroCountFloat);
  writeSpans(w, 9, h.negativeSpan);
  writeDeltas(w, 10, h.negativeDelta);
  writeCounts(w, 11, h.negativeCount);
  writeSpans(w, 12, h.positiveSpan);
  writeDeltas(w, 13, h.positiveDelta);
  writeCounts(w, 14, h.positiveCount);
  if (h.createdTimestamp !== undefined) writeTimestamp(w, 15, h.createdTimestamp);
  for (let i = 0; i < h.exemplars.length; i++) writeExemplar(w, 16, h.exemplars[i]!);
  w.join();
}

function writeMetric(w: BinaryWriter, m: Metric): void {
  w.tag(4, LEN).fork();
  writeLabelPairs(w, 1, m.label);
  if (m.gauge !== undefined) writeValueOnly(w, 2, m.gauge);
  if (m.counter !== undefined) writeCounter(w, m.counter);
  if (m.summary !== undefined) writeSummary(w, m.summary);
  if (m.untyped !== undefined) writeValueOnly(w, 5, m.untyped);
  if (m.timestampMs !== undefined) {
    w.tag(6, VARINT);
    writeInt64(w, m.timestampMs);
  }
  if (m.histogram !== undefined) writeHistogram(w, m.histogram);
  w.join();
}

/** Writes the fields of a family (no size prefix). `name` and `type` are always written. */
function writeFamilyBody(w: BinaryWriter, f: MetricFamily): void {
  w.tag(1, LEN).string(f.name);
  if (f.help !== undefined) w.tag(2, LEN).string(f.help);
  w.tag(3, VARINT).int32(f.type | 0);
  for (let i = 0; i < f.metric.length; i++) writeMetric(w, f.metric[i]!);
  if (f.unit !== undefined) w.tag(5, LEN).string(f.unit);
}

/**
 * Encodes one `MetricFamily` message body (no size prefix), fields in
 * field-number order as Go writes them. `name` and `type` are always written;
 * every other optional field only when it is defined.
 *
 * @param family The family to encode.
 * @returns The serialised message.
 *
 * @example Usage
 * ```ts
 * import { decodeFamily } from "@lib/protobuf/decode.ts";
 * import { encodeFamily } from "@lib/protobuf/encode.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const family = { name: "up", help: "", type: 1 as const, metric: [] };
 * assertEquals(decodeFamily(encodeFamily(family)), family);
 * ```
 */
export function encodeFamily(family: MetricFamily): Uint8Array {
  const w = new BinaryWriter();
  writeFamilyBody(w, family);
  return w.finish();
}

/**
 * Encodes the repeated `metric` field (4) of a `MetricFamily` for a run of
 * series, byte for byte as {@linkcode encodeFamily} writes them, so that a
 * family can be assembled from cached runs (see {@linkcode delimitedFrame}).
 *
 * @param metrics The series, in order.
 * @returns The encoded fields (empty for no series).
 *
 * @example Usage
 * ```ts
 * import { delimitedFrame, encodeDelimited, encodeMetricFields } from "@lib/protobuf/encode.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const family = { name: "up", type: 1 as const, metric: [{ label: [], gauge: { value: 1 } }] };
 * const body = encodeMetricFields(family.metric);
 * const { head, tail } = delimitedFrame(family, body.length);
 * assertEquals(new Uint8Array([...head, ...body, ...tail]), encodeDelimited([family]));
 * ```
 */
export function encodeMetricFields(metrics: readonly Metric[]): Uint8Array {
  const w = new BinaryWriter();
  for (let i = 0; i < metrics.length; i++) writeMetric(w, metrics[i]!);
  return w.finish();
}

/**
 * What surrounds a family's encoded `metric` fields in a delimited stream:
 * the head (the varint size of the whole message, then `name`, `help` and
 * `type`) and the tail (`unit`, when present). `head + metric fields + tail`
 * equals the family's frame from {@linkcode encodeDelimited}.
 *
 * @param family The family; its `metric` array is not read.
 * @param metricBytes The length of its encoded `metric` fields.
 * @returns The head and the tail (often empty).
 */
export function delimitedFrame(
  family: MetricFamily,
  metricBytes: number,
): { head: Uint8Array; tail: Uint8Array } {
  const w = new BinaryWriter();
  w.tag(1, LEN).string(family.name);
  if (family.help !== undefined) w.tag(2, LEN).string(family.help);
  w.tag(3, VARINT).int32(family.type | 0);
  const fields = w.finish();
  const t = new BinaryWriter();
  if (family.unit !== undefined) t.tag(5, LEN).string(family.unit);
  const tail = t.finish();
  const size = new BinaryWriter().uint32(fields.length + metricBytes + tail.length).finish();
  const head = new Uint8Array(size.length + fields.length);
  head.set(size);
  head.set(fields, size.length);
  return { head, tail };
}

/**
 * Encodes families as a varint-size-delimited stream (the protobuf exposition
 * format `encoding=delimited`).
 *
 * @param families The families, written in iteration order.
 * @returns The whole stream.
 *
 * @example Usage
 * ```ts
 * import { decodeDelimited } from "@lib/protobuf/decode.ts";
 * import { encodeDelimited } from "@lib/protobuf/encode.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const families = [{ name: "a", type: 0 as const, metric: [] }];
 * assertEquals(decodeDelimited(encodeDelimited(families)), families);
 * ```
 */
export function encodeDelimited(families: Iterable<MetricFamily>): Uint8Array {
  const w = new BinaryWriter();
  for (const family of families) {
    w.fork();
    writeFamilyBody(w, family);
    w.join();
  }
  return w.finish();
}

/**
 * Prefixes one encoded message with its size as a varint, so that a cached
 * {@linkcode encodeFamily} result can be written into a delimited stream.
 *
 * @param message A serialised message body.
 * @returns A new array: the varint size followed by the message.
 *
 * @example Usage
 * ```ts
 * import { frameDelimited } from "@lib/protobuf/encode.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(frameDelimited(new Uint8Array([0x0a, 0x00])), new Uint8Array([2, 0x0a, 0x00]));
 * ```
 */
export function frameDelimited(message: Uint8Array): Uint8Array {
  let size = message.length;
  let prefix = 1;
  for (let rest = size >>> 7; rest !== 0; rest >>>= 7) prefix++;
  const out = new Uint8Array(prefix + size);
  let pos = 0;
  while (size > 0x7f) {
    out[pos++] = (size & 0x7f) | 0x80;
    size >>>= 7;
  }
  out[pos] = size;
  out.set(message, prefix);
  return out;
}
