/**
 * Decoding of `io.prometheus.client.MetricFamily` (client_model
 * `metrics.proto`), both as one message body and as the varint-size-delimited
 * stream that pushes and scrapes use.
 *
 * Decoding follows Go's `google.golang.org/protobuf` for proto2 messages:
 * unknown fields (and known fields with an unexpected wire type) are skipped,
 * repeated scalars are accepted packed and unpacked, a singular message field
 * seen twice is merged, and the last value of a singular scalar wins.
 *
 * Every failure is a {@linkcode ParseError} carrying Go's error text, e.g.
 * `unexpected EOF` for a truncated stream. Pure: no I/O.
 *
 * @module
 */

import { ParseError } from "@lib/model/parse_error.ts";
import { emptyHistogram } from "@lib/model/metric.ts";
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
  MetricType,
  Quantile,
  Summary,
  Timestamp,
  Untyped,
} from "@lib/model/metric.ts";
import {
  BIT64,
  ERR_EOF,
  int64Value,
  LEN,
  readDouble,
  readDoubles,
  readLengthEnd,
  readSint64s,
  readString,
  readTag,
  readVarint,
  sint32Value,
  skipField,
  tryReadVarint,
  uint64Value,
  VARINT,
  WireInput,
} from "@lib/protobuf/wire.ts";

// Message decoders. Each reads fields until `end`; `into` merges a repeated
// occurrence of a singular message field, as proto does.

function decodeLabelPair(inp: WireInput, end: number): LabelPair {
  const pair: LabelPair = { name: "", value: "" };
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    if (tag === (1 << 3 | LEN)) pair.name = readString(inp, end);
    else if (tag === (2 << 3 | LEN)) pair.value = readString(inp, end);
    else skipField(inp, tag, end);
  }
  return pair;
}

function decodeTimestamp(inp: WireInput, end: number, into?: Timestamp): Timestamp {
  const ts: Timestamp = into ?? { seconds: 0, nanos: 0 };
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    if (tag === (1 << 3 | VARINT)) {
      readVarint(inp, end);
      ts.seconds = int64Value(inp);
    } else if (tag === (2 << 3 | VARINT)) {
      readVarint(inp, end);
      ts.nanos = inp.lo | 0;
    } else skipField(inp, tag, end);
  }
  return ts;
}

function decodeExemplar(inp: WireInput, end: number, into?: Exemplar): Exemplar {
  const ex: Exemplar = into ?? { label: [] };
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    switch (tag) {
      case 1 << 3 | LEN:
        ex.label.push(decodeLabelPair(inp, readLengthEnd(inp, end)));
        break;
      case 2 << 3 | BIT64:
        ex.value = readDouble(inp, end);
        break;
      case 3 << 3 | LEN:
        ex.timestamp = decodeTimestamp(inp, readLengthEnd(inp, end), ex.timestamp);
        break;
      default:
        skipField(inp, tag, end);
    }
  }
  return ex;
}

/** Gauge and Untyped share their only field: `value = 1` (double). */
function decodeValueOnly(inp: WireInput, end: number, into?: Gauge | Untyped): Gauge | Untyped {
  const g: Gauge = into ?? {};
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    if (tag === (1 << 3 | BIT64)) g.value = readDouble(inp, end);
    else skipField(inp, tag, end);
  }
  return g;
}

function decodeCounter(inp: WireInput, end: number, into?: Counter): Counter {
  const c: Counter = into ?? {};
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    switch (tag) {
      case 1 << 3 | BIT64:
        c.value = readDouble(inp, end);
        break;
      case 2 << 3 | LEN:
        c.exemplar = decodeExemplar(inp, readLengthEnd(inp, end), c.exemplar);
        break;
      case 3 << 3 | LEN:
        c.createdTimestamp = decodeTimestamp(inp, readLengthEnd(inp, end), c.createdTimestamp);
        break;
      default:
        skipField(inp, tag, end);
    }
  }
  return c;
}

function decodeQuantile(inp: WireInput, end: number): Quantile {
  const q: Quantile = {};
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    if (tag === (1 << 3 | BIT64)) q.quantile = readDouble(inp, end);
    else if (tag === (2 << 3 | BIT64)) q.value = readDouble(inp, end);
    else skipField(inp, tag, end);
  }
  return q;
}

function decodeSummary(inp: WireInput, end: number, into?: Summary): Summary {
  const s: Summary = into ?? { quantile: [] };
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    switch (tag) {
      case 1 << 3 | VARINT:
        readVarint(inp, end);
        s.sampleCount = uint64Value(inp);
        break;
      case 2 << 3 | BIT64:
        s.sampleSum = readDouble(inp, end);
        break;
      case 3 << 3 | LEN:
        s.quantile.push(decodeQuantile(inp, readLengthEnd(inp, end)));
        break;
      case 4 << 3 | LEN:
        s.createdTimestamp = decodeTimestamp(inp, readLengthEnd(inp, end), s.createdTimestamp);
        break;
      default:
        skipField(inp, tag, end);
    }
  }
  return s;
}

function decodeBucket(inp: WireInput, end: number): Bucket {
  const b: Bucket = {};
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    switch (tag) {
      case 1 << 3 | VARINT:
        readVarint(inp, end);
        b.cumulativeCount = uint64Value(inp);
        break;
      case 2 << 3 | BIT64:
        b.upperBound = readDouble(inp, end);
        break;
      case 3 << 3 | LEN:
        b.exemplar = decodeExemplar(inp, readLengthEnd(inp, end), b.exemplar);
        break;
      case 4 << 3 | BIT64:
        b.cumulativeCountFloat = readDouble(inp, end);
        break;
      default:
        skipField(inp, tag, end);
    }
  }
  return b;
}

function decodeBucketSpan(inp: WireInput, end: number): BucketSpan {
  const span: BucketSpan = {};
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    if (tag === (1 << 3 | VARINT)) {
      readVarint(inp, end);
      span.offset = sint32Value(inp);
    } else if (tag === (2 << 3 | VARINT)) {
      readVarint(inp, end);
      span.length = inp.lo >>> 0;
    } else skipField(inp, tag, end);
  }
  return span;
}

function decodeHistogram(inp: WireInput, end: number, into?: Histogram): Histogram {
  const h: Histogram = into ?? emptyHistogram();
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    switch (tag) {
      case 1 << 3 | VARINT:
        readVarint(inp, end);
        h.sampleCount = uint64Value(inp);
        break;
      case 2 << 3 | BIT64:
        h.sampleSum = readDouble(inp, end);
        break;
      case 3 << 3 | LEN:
        h.bucket.push(decodeBucket(inp, readLengthEnd(inp, end)));
        break;
      case 4 << 3 | BIT64:
        h.sampleCountFloat = readDouble(inp, end);
        break;
      case 5 << 3 | VARINT:
        readVarint(inp, end);
        h.schema = sint32Value(inp);
        break;
      case 6 << 3 | BIT64:
        h.zeroThreshold = readDouble(inp, end);
        break;
      case 7 << 3 | VARINT:
        readVarint(inp, end);
        h.zeroCount = uint64Value(inp);
        break;
      case 8 << 3 | BIT64:
        h.zeroCountFloat = readDouble(inp, end);
        break;
      case 9 << 3 | LEN:
        h.negativeSpan.push(decodeBucketSpan(inp, readLengthEnd(inp, end)));
        break;
      case 10 << 3 | VARINT:
      case 10 << 3 | LEN:
        readSint64s(inp, tag, end, h.negativeDelta);
        break;
      case 11 << 3 | BIT64:
      case 11 << 3 | LEN:
        readDoubles(inp, tag, end, h.negativeCount);
        break;
      case 12 << 3 | LEN:
        h.positiveSpan.push(decodeBucketSpan(inp, readLengthEnd(inp, end)));
        break;
      case 13 << 3 | VARINT:
      case 13 << 3 | LEN:
        readSint64s(inp, tag, end, h.positiveDelta);
        break;
      case 14 << 3 | BIT64:
      case 14 << 3 | LEN:
        readDoubles(inp, tag, end, h.positiveCount);
        break;
      case 15 << 3 | LEN:
        h.createdTimestamp = decodeTimestamp(inp, readLengthEnd(inp, end), h.createdTimestamp);
        break;
      case 16 << 3 | LEN:
        h.exemplars.push(decodeExemplar(inp, readLengthEnd(inp, end)));
        break;
      default:
        skipField(inp, tag, end);
    }
  }
  return h;
}

function decodeMetric(inp: WireInput, end: number): Metric {
  const m: Metric = { label: [] };
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    switch (tag) {
      case 1 << 3 | LEN:
        m.label.push(decodeLabelPair(inp, readLengthEnd(inp, end)));
        break;
      case 2 << 3 | LEN:
        m.gauge = decodeValueOnly(inp, readLengthEnd(inp, end), m.gauge);
        break;
      case 3 << 3 | LEN:
        m.counter = decodeCounter(inp, readLengthEnd(inp, end), m.counter);
        break;
      case 4 << 3 | LEN:
        m.summary = decodeSummary(inp, readLengthEnd(inp, end), m.summary);
        break;
      case 5 << 3 | LEN:
        m.untyped = decodeValueOnly(inp, readLengthEnd(inp, end), m.untyped);
        break;
      case 6 << 3 | VARINT:
        readVarint(inp, end);
        m.timestampMs = int64Value(inp);
        break;
      case 7 << 3 | LEN:
        m.histogram = decodeHistogram(inp, readLengthEnd(inp, end), m.histogram);
        break;
      default:
        skipField(inp, tag, end);
    }
  }
  return m;
}

function decodeFamilyBody(inp: WireInput, end: number): MetricFamily {
  const f: MetricFamily = { name: "", type: 0, metric: [] };
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    switch (tag) {
      case 1 << 3 | LEN:
        f.name = readString(inp, end);
        break;
      case 2 << 3 | LEN:
        f.help = readString(inp, end);
        break;
      case 3 << 3 | VARINT: {
        readVarint(inp, end);
        // Go keeps any int32 here (its enums are open); values outside the
        // enum cannot be represented by the model and read as unset (COUNTER).
        const type = inp.lo | 0;
        f.type = type >= 0 && type <= 5 ? type as MetricType : 0;
        break;
      }
      case 4 << 3 | LEN:
        f.metric.push(decodeMetric(inp, readLengthEnd(inp, end)));
        break;
      case 5 << 3 | LEN:
        f.unit = readString(inp, end);
        break;
      default:
        skipField(inp, tag, end);
    }
  }
  return f;
}

/**
 * Decodes one `MetricFamily` message body (no size prefix).
 *
 * @param bytes The serialised message.
 * @returns The decoded family; absent optional fields stay `undefined`.
 * @throws {ParseError} `proto: cannot parse invalid wire-format data` for malformed input.
 *
 * @example Usage
 * ```ts
 * import { decodeFamily } from "@lib/protobuf/decode.ts";
 * import { assertEquals } from "@std/assert";
 *
 * // name = "up" (field 1), type = GAUGE (field 3)
 * const family = decodeFamily(new Uint8Array([0x0a, 0x02, 0x75, 0x70, 0x18, 0x01]));
 * assertEquals(family, { name: "up", type: 1, metric: [] });
 * ```
 */
export function decodeFamily(bytes: Uint8Array): MetricFamily {
  return decodeFamilyBody(new WireInput(bytes), bytes.length);
}

/**
 * Decodes a stream of varint-size-delimited `MetricFamily` messages, the body
 * of a protobuf push or scrape. Input that ends at a message boundary (also
 * empty input) ends the stream normally.
 *
 * @param bytes The whole stream.
 * @returns The families in stream order (duplicates are kept).
 * @throws {ParseError} `unexpected EOF` when the stream ends inside a size
 * prefix or a message, `proto: variable length integer overflow` for a size
 * prefix over ten bytes, `proto: cannot parse invalid wire-format data` for
 * a malformed message.
 *
 * @example Usage
 * ```ts
 * import { decodeDelimited } from "@lib/protobuf/decode.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const stream = new Uint8Array([0x04, 0x0a, 0x02, 0x75, 0x70]);
 * assertEquals(decodeDelimited(stream), [{ name: "up", type: 0, metric: [] }]);
 * assertThrows(() => decodeDelimited(stream.subarray(0, 3)), Error, "unexpected EOF");
 * ```
 */
export function decodeDelimited(bytes: Uint8Array): MetricFamily[] {
  const inp = new WireInput(bytes);
  const total = bytes.length;
  const families: MetricFamily[] = [];
  while (inp.pos < total) {
    if (!tryReadVarint(inp, total)) throw new ParseError(ERR_EOF);
    const size = uint64Value(inp);
    if (size > total - inp.pos) throw new ParseError(ERR_EOF);
    const end = inp.pos + size;
    families.push(decodeFamilyBody(inp, end));
    inp.pos = end;
  }
  return families;
}
