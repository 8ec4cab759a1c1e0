/**
 * The protobuf codec for `io.prometheus.client.MetricFamily` (client_model
 * `metrics.proto`), both as one message body and as the varint-size-delimited
 * stream that pushes and scrapes use.
 *
 * Decoding follows Go's `google.golang.org/protobuf` for proto2 messages:
 * unknown fields (and known fields with an unexpected wire type) are skipped,
 * repeated scalars are accepted packed and unpacked, a singular message field
 * seen twice is merged, and the last value of a singular scalar wins.
 * Encoding writes fields in field-number order and repeated scalars unpacked,
 * as Go does for this proto2 file, so the bytes match client_golang's.
 *
 * Every failure is a {@linkcode ParseError} carrying Go's error text, e.g.
 * `unexpected EOF` for a truncated stream. Pure: no I/O.
 *
 * @module
 */

import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
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

/** Go's `io.ErrUnexpectedEOF`: the stream ended inside a size prefix or a message. */
const ERR_EOF = "unexpected EOF";
/** protobuf-go's error for any malformed message body. */
const ERR_WIRE = "proto: cannot parse invalid wire-format data";
/** protowire's error for a size prefix longer than ten bytes. */
const ERR_OVERFLOW = "proto: variable length integer overflow";

/** Nesting limit for unknown groups (protobuf-go allows 10,000; nothing real nests at all). */
const GROUP_DEPTH_LIMIT = 100;

const TWO_POW_32 = 4294967296;
const UINT64_MAX = 18446744073709551615n;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** A {@linkcode BinaryReader} that also exposes its bytes and the last 64-bit varint. */
class WireInput extends BinaryReader {
  readonly data: Uint8Array;
  /** Low 32 bits of the last varint read by {@linkcode readVarint}. */
  lo = 0;
  /** High 32 bits of the last varint read by {@linkcode readVarint}. */
  hi = 0;

  constructor(bytes: Uint8Array) {
    super(bytes);
    this.data = bytes;
  }
}

function fail(): never {
  throw new ParseError(ERR_WIRE);
}

// ---------------------------------------------------------------------------
// Wire primitives (bounded by the end of the enclosing message)
// ---------------------------------------------------------------------------

/**
 * Reads a varint of at most ten bytes ending before `end` into `inp.lo`/`inp.hi`.
 * Returns false when the input ends first; throws on an overlong varint.
 */
function tryReadVarint(inp: WireInput, end: number): boolean {
  const b = inp.data;
  let pos = inp.pos;
  let lo = 0;
  let hi = 0;
  let byte = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) return false;
    byte = b[pos++]!;
    lo |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      inp.pos = pos;
      inp.lo = lo;
      inp.hi = 0;
      return true;
    }
  }
  if (pos >= end) return false;
  byte = b[pos++]!;
  lo |= (byte & 0x0f) << 28;
  hi = (byte & 0x70) >> 4;
  if (byte >= 0x80) {
    for (let shift = 3;; shift += 7) {
      if (pos >= end) return false;
      byte = b[pos++]!;
      if (shift === 31) {
        // Tenth byte: only the top bit of a uint64 is left.
        if (byte > 1) throw new ParseError(ERR_OVERFLOW);
        hi |= byte << 31;
        break;
      }
      hi |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
  }
  inp.pos = pos;
  inp.lo = lo;
  inp.hi = hi;
  return true;
}

/** Reads a varint inside a message body; truncation is a wire-format error. */
function readVarint(inp: WireInput, end: number): void {
  const b = inp.data;
  const pos = inp.pos;
  if (pos < end) {
    const byte = b[pos]!;
    if (byte < 0x80) {
      inp.pos = pos + 1;
      inp.lo = byte;
      inp.hi = 0;
      return;
    }
  }
  try {
    if (tryReadVarint(inp, end)) return;
  } catch (err) {
    // Inside a message protobuf-go reports every malformed varint the same way.
    if (!(err instanceof ParseError)) throw err;
  }
  fail();
}

/** Reads a field tag and returns it as `number << 3 | wireType`. */
function readTag(inp: WireInput, end: number): number {
  readVarint(inp, end);
  const tag = inp.lo >>> 0;
  if (inp.hi !== 0 || tag < 8) fail(); // field number 0 or above 2^29-1
  return tag;
}

function uint64Value(inp: WireInput): number {
  return (inp.hi >>> 0) * TWO_POW_32 + (inp.lo >>> 0);
}

function int64Value(inp: WireInput): number {
  return (inp.hi | 0) * TWO_POW_32 + (inp.lo >>> 0);
}

function sint64Value(inp: WireInput): number {
  const lo = inp.lo;
  const hi = inp.hi;
  const sign = -(lo & 1);
  const dlo = ((lo >>> 1) | (hi << 31)) ^ sign;
  const dhi = (hi >>> 1) ^ sign;
  return (dhi | 0) * TWO_POW_32 + (dlo >>> 0);
}

function sint32Value(inp: WireInput): number {
  const lo = inp.lo;
  return (lo >>> 1) ^ -(lo & 1);
}

/** Reads a length prefix and returns the end offset of the data it announces. */
function readLengthEnd(inp: WireInput, end: number): number {
  readVarint(inp, end);
  const len = uint64Value(inp);
  if (len > end - inp.pos) fail();
  return inp.pos + len;
}

function readDouble(inp: WireInput, end: number): number {
  if (end - inp.pos < 8) fail();
  return inp.double();
}

function readString(inp: WireInput, end: number): string {
  const start = inp.pos;
  readLengthEnd(inp, end); // validates the length against this message
  inp.pos = start;
  return inp.string();
}

/** Skips the value of an unknown field (or a known field with an unexpected wire type). */
function skipField(inp: WireInput, tag: number, end: number, depth: number): void {
  switch (tag & 7) {
    case WireType.Varint:
      readVarint(inp, end);
      return;
    case WireType.Bit64:
      if (end - inp.pos < 8) fail();
      inp.pos += 8;
      return;
    case WireType.Bit32:
      if (end - inp.pos < 4) fail();
      inp.pos += 4;
      return;
    case WireType.LengthDelimited:
      inp.pos = readLengthEnd(inp, end);
      return;
    case WireType.StartGroup: {
      if (depth <= 0) fail();
      for (;;) {
        const inner = readTag(inp, end);
        if ((inner & 7) === WireType.EndGroup) {
          if (inner >>> 3 !== tag >>> 3) fail();
          return;
        }
        skipField(inp, inner, end, depth - 1);
      }
    }
    default: // an end-group without a start, or the reserved wire types 6 and 7
      fail();
  }
}

// ---------------------------------------------------------------------------
// Message decoders. Each reads fields until `end`; `into` merges a repeated
// occurrence of a singular message field, as proto does.
// ---------------------------------------------------------------------------

const VARINT = WireType.Varint;
const BIT64 = WireType.Bit64;
const LEN = WireType.LengthDelimited;

function decodeLabelPair(inp: WireInput, end: number): LabelPair {
  const pair: LabelPair = { name: "", value: "" };
  while (inp.pos < end) {
    const tag = readTag(inp, end);
    if (tag === (1 << 3 | LEN)) pair.name = readString(inp, end);
    else if (tag === (2 << 3 | LEN)) pair.value = readString(inp, end);
    else skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
    } else skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
        skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
    else skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
        skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
    else skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
        skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
        skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
    } else skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
  }
  return span;
}

/** Reads one occurrence of a `repeated sint64`: one varint, or packed when `tag` is LEN. */
function readSint64s(inp: WireInput, tag: number, end: number, out: number[]): void {
  if ((tag & 7) !== LEN) {
    readVarint(inp, end);
    out.push(sint64Value(inp));
    return;
  }
  const packedEnd = readLengthEnd(inp, end);
  while (inp.pos < packedEnd) {
    readVarint(inp, packedEnd);
    out.push(sint64Value(inp));
  }
}

/** Reads one occurrence of a `repeated double`: one double, or packed when `tag` is LEN. */
function readDoubles(inp: WireInput, tag: number, end: number, out: number[]): void {
  if ((tag & 7) !== LEN) {
    out.push(readDouble(inp, end));
    return;
  }
  const packedEnd = readLengthEnd(inp, end);
  if ((packedEnd - inp.pos) % 8 !== 0) fail();
  while (inp.pos < packedEnd) out.push(inp.double());
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
        skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
        skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
        skipField(inp, tag, end, GROUP_DEPTH_LIMIT);
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
 * import { decodeFamily } from "@lib/protobuf/proto.ts";
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
 * import { decodeDelimited } from "@lib/protobuf/proto.ts";
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

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

/** Writes a uint64 field value; out-of-range numbers are clamped, fractions truncated. */
function writeUint64(w: BinaryWriter, v: number): void {
  if (v >= 0 && v <= 0xffffffff) {
    w.uint32(Number.isInteger(v) ? v : Math.trunc(v));
  } else if (v > 0xffffffff) {
    const big = v === Infinity ? UINT64_MAX : BigInt(Math.trunc(v));
    w.uint64(big > UINT64_MAX ? UINT64_MAX : big);
  } else {
    w.uint32(0); // negative or NaN: not representable
  }
}

/**
 * A number outside the int32 range as an int64: fractions truncated, clamped
 * to the int64 range (±Infinity to its ends), NaN as 0.
 */
function clampInt64(v: number): bigint {
  if (Number.isNaN(v)) return 0n;
  const big = v === Infinity ? INT64_MAX : v === -Infinity ? INT64_MIN : BigInt(Math.trunc(v));
  return big > INT64_MAX ? INT64_MAX : big < INT64_MIN ? INT64_MIN : big;
}

/** Writes an int64 field value; out-of-range numbers are clamped, fractions truncated. */
function writeInt64(w: BinaryWriter, v: number): void {
  if (v >= -0x80000000 && v <= 0x7fffffff) {
    w.int32(Number.isInteger(v) ? v : Math.trunc(v)); // same bytes as int64
  } else {
    w.int64(clampInt64(v));
  }
}

/** Writes a sint64 field value (zigzag); out-of-range numbers are clamped. */
function writeSint64(w: BinaryWriter, v: number): void {
  if (v >= -0x80000000 && v <= 0x7fffffff && Number.isInteger(v)) {
    w.sint32(v); // zigzag32 and zigzag64 agree on the int32 range
  } else {
    w.sint64(clampInt64(v));
  }
}

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
 * import { decodeFamily, encodeFamily } from "@lib/protobuf/proto.ts";
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
 * import { delimitedFrame, encodeDelimited, encodeMetricFields } from "@lib/protobuf/proto.ts";
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
 * import { decodeDelimited, encodeDelimited } from "@lib/protobuf/proto.ts";
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
 * import { frameDelimited } from "@lib/protobuf/proto.ts";
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
