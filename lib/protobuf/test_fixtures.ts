/**
 * Test data shared by `decode_test.ts` and `encode_test.ts`: hand-built
 * messages written from `metrics.proto` field by field, families that must
 * survive a round trip, and small helpers. Imported by tests only.
 *
 * @module
 */

import { ERR_EOF } from "@lib/protobuf/wire.ts";
import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { decodeHex } from "@std/encoding/hex";
import { ParseError } from "@lib/model/parse_error.ts";
import { emptyHistogram, type MetricFamily } from "@lib/model/metric.ts";

/** Go's text for a stream that ends inside a size prefix or a message. */
export const EOF = ERR_EOF;
/** protobuf-go's text for a malformed message body. */
export const WIRE = "proto: cannot parse invalid wire-format data";
/** protowire's text for a size prefix longer than ten bytes. */
export const OVERFLOW = "proto: variable length integer overflow";

/** Bytes from hex with optional spaces, e.g. `"0a 02 75 70"`. */
export function hex(text: string): Uint8Array {
  return decodeHex(text.replace(/\s+/g, ""));
}

/** Bytes as lower-case hex pairs separated by spaces (the form `hex` reads). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Key-sorted JSON keeping what assertEquals cannot tell apart: -0 and non-finite numbers. */
export function exact(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "number") {
      if (Object.is(v, -0)) return "-0";
      return Number.isFinite(v) ? v : String(v);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** Asserts that `fn` throws a {@linkcode ParseError} with `message` and no line number. */
export function assertParseError(fn: () => unknown, message: string): void {
  const err = assertThrows(fn);
  assertInstanceOf(err, ParseError);
  assertEquals(err.message, message);
  assertEquals(err.line, 0);
}

// ---------------------------------------------------------------------------
// Hand-built fixtures, written from metrics.proto field by field.
// ---------------------------------------------------------------------------

/** A message body and the family it decodes to. */
export interface Fixture {
  /** Test step name. */
  name: string;
  /** The body in hex (see {@linkcode hex}). */
  bytes: string;
  /** What `decodeFamily` must return. */
  family: MetricFamily;
  /** Whether encodeFamily(family) reproduces `bytes` (Go's field order, unpacked). */
  canonical: boolean;
}

/** Hand-built message bodies covering every message type and decoding rule. */
export const FIXTURES: Fixture[] = [
  {
    name: "gauge with empty help, label and negative timestamp_ms",
    bytes: "0a 02 75 70" + // name "up"
      "12 00" + // help ""
      "18 01" + // type GAUGE
      "22 20" + // metric, 32 bytes
      "0a 08 0a 03 6a 6f 62 12 01 61" + // label job="a"
      "12 09 09 00 00 00 00 00 00 f0 3f" + // gauge { value 1 }
      "30 ff ff ff ff ff ff ff ff ff 01", // timestamp_ms -1 (ten-byte varint)
    family: {
      name: "up",
      help: "",
      type: 1,
      metric: [{ label: [{ name: "job", value: "a" }], gauge: { value: 1 }, timestampMs: -1 }],
    },
    canonical: true,
  },
  {
    name: "counter with exemplar, created timestamp and unit",
    bytes: "0a 07 63 5f 74 6f 74 61 6c" + // name "c_total"
      "18 00" + // type COUNTER
      "22 2a" + // metric, 42 bytes
      "1a 28" + // counter, 40 bytes
      "09 00 00 00 00 00 00 45 40" + // value 42
      "12 19" + // exemplar, 25 bytes
      "0a 07 0a 02 69 64 12 01 37" + // label id="7"
      "11 00 00 00 00 00 00 e0 3f" + // value 0.5
      "1a 05 08 01 10 f4 03" + // timestamp { seconds 1, nanos 500 }
      "1a 02 08 0a" + // created_timestamp { seconds 10 }
      "2a 05 62 79 74 65 73", // unit "bytes"
    family: {
      name: "c_total",
      type: 0,
      unit: "bytes",
      metric: [{
        label: [],
        counter: {
          value: 42,
          exemplar: {
            label: [{ name: "id", value: "7" }],
            value: 0.5,
            timestamp: { seconds: 1, nanos: 500 },
          },
          createdTimestamp: { seconds: 10, nanos: 0 },
        },
      }],
    },
    canonical: true,
  },
  {
    name: "summary",
    bytes: "0a 01 73 18 02" + // name "s", type SUMMARY
      "22 21 22 1f" + // metric, summary
      "08 03" + // sample_count 3
      "11 00 00 00 00 00 00 18 40" + // sample_sum 6
      "1a 12 09 00 00 00 00 00 00 e0 3f 11 00 00 00 00 00 00 00 40", // quantile 0.5 -> 2
    family: {
      name: "s",
      type: 2,
      metric: [{
        label: [],
        summary: { sampleCount: 3, sampleSum: 6, quantile: [{ quantile: 0.5, value: 2 }] },
      }],
    },
    canonical: true,
  },
  {
    name: "untyped -Inf",
    bytes: "0a 01 75 18 03 22 0b 2a 09 09 00 00 00 00 00 00 f0 ff",
    family: { name: "u", type: 3, metric: [{ label: [], untyped: { value: -Infinity } }] },
    canonical: true,
  },
  {
    name: "histogram in Go's order: classic bucket, native spans, unpacked deltas, exemplars",
    bytes: "0a 01 68 18 04" + // name "h", type HISTOGRAM
      "22 36 3a 34" + // metric, histogram (52 bytes)
      "08 02" + // sample_count 2
      "11 00 00 00 00 00 00 f0 3f" + // sample_sum 1
      "1a 0b 08 01 11 00 00 00 00 00 00 f0 3f" + // bucket { cumulative_count 1, upper_bound 1 }
      "28 06" + // schema 3 (zigzag)
      "62 04 08 00 10 01" + // positive_span { offset 0, length 1 }
      "68 01 68 02" + // positive_delta -1, 1 (unpacked)
      "7a 02 08 05" + // created_timestamp { seconds 5 }
      "82 01 09 11 00 00 00 00 00 00 f0 3f", // exemplars { value 1 }
    family: {
      name: "h",
      type: 4,
      metric: [{
        label: [],
        histogram: {
          ...emptyHistogram(),
          sampleCount: 2,
          sampleSum: 1,
          bucket: [{ cumulativeCount: 1, upperBound: 1 }],
          schema: 3,
          positiveSpan: [{ offset: 0, length: 1 }],
          positiveDelta: [-1, 1],
          createdTimestamp: { seconds: 5, nanos: 0 },
          exemplars: [{ label: [], value: 1 }],
        },
      }],
    },
    canonical: true,
  },
  {
    name: "native histogram with packed and unpacked repeated fields mixed",
    bytes: "0a 01 68 18 04" +
      "22 3a 3a 38" + // metric, histogram (56 bytes)
      "08 05" + // sample_count 5
      "11 00 00 00 00 00 00 00 40" + // sample_sum 2
      "28 01" + // schema -1
      "31 00 00 00 00 00 00 e0 3f" + // zero_threshold 0.5
      "38 01" + // zero_count 1
      "62 04 08 03 10 03" + // positive_span { offset -2, length 3 }
      "6a 03 02 01 04" + // positive_delta packed: 1, -1, 2
      "68 05" + // positive_delta unpacked: -3
      "5a 08 00 00 00 00 00 00 f8 3f" + // negative_count packed: 1.5
      "59 00 00 00 00 00 00 00 40", // negative_count unpacked: 2
    family: {
      name: "h",
      type: 4,
      metric: [{
        label: [],
        histogram: {
          ...emptyHistogram(),
          sampleCount: 5,
          sampleSum: 2,
          schema: -1,
          zeroThreshold: 0.5,
          zeroCount: 1,
          positiveSpan: [{ offset: -2, length: 3 }],
          positiveDelta: [1, -1, 2, -3],
          negativeCount: [1.5, 2],
        },
      }],
    },
    canonical: false,
  },
  {
    name: "unknown fields of every wire type and a known field with the wrong wire type",
    bytes: "0a 01 78" + // name "x"
      "a0 06 96 01" + // field 100, varint 150
      "a9 06 01 02 03 04 05 06 07 08" + // field 101, fixed64
      "b2 06 03 61 62 63" + // field 102, bytes "abc"
      "bb 06 08 01 13 08 02 14 bc 06" + // field 103, group holding a varint and a nested group
      "c5 06 01 02 03 04" + // field 104, fixed32
      "08 05" + // field 1 (name) as a varint: not a string, so unknown
      "18 01" + // type GAUGE
      "22 0d 78 01 12 09 09 00 00 00 00 00 00 f0 3f", // metric { field 15 varint, gauge 1 }
    family: { name: "x", type: 1, metric: [{ label: [], gauge: { value: 1 } }] },
    canonical: false,
  },
  {
    name: "repeated singular fields: last scalar wins, messages merge",
    bytes: "0a 01 61 0a 01 62" + // name "a" then "b"
      "22 18" +
      "1a 09 09 00 00 00 00 00 00 f0 3f" + // counter { value 1 }
      "1a 0b 12 09 11 00 00 00 00 00 00 00 40", // counter { exemplar { value 2 } }
    family: {
      name: "b",
      type: 0,
      metric: [{ label: [], counter: { value: 1, exemplar: { label: [], value: 2 } } }],
    },
    canonical: false,
  },
  {
    name: "type outside the enum reads as unset (COUNTER)",
    bytes: "0a 01 7a 18 07",
    family: { name: "z", type: 0, metric: [] },
    canonical: false,
  },
  {
    name: "negative type reads as unset (COUNTER)",
    bytes: "0a 01 7a 18 ff ff ff ff ff ff ff ff ff 01",
    family: { name: "z", type: 0, metric: [] },
    canonical: false,
  },
  {
    name: "empty message: empty name, COUNTER, no series",
    bytes: "",
    family: { name: "", type: 0, metric: [] },
    canonical: false,
  },
];

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

/** Families that must survive encoding and decoding unchanged, field for field. */
export const ROUND_TRIPS: MetricFamily[] = [
  { name: "no_help", type: 1, metric: [{ label: [], gauge: {} }] },
  { name: "empty_help", help: "", type: 1, metric: [{ label: [], gauge: { value: -0 } }] },
  {
    name: "special_values",
    help: "NaN, infinities and -0",
    type: 3,
    metric: [
      { label: [{ name: "v", value: "nan" }], untyped: { value: NaN } },
      { label: [{ name: "v", value: "+inf" }], untyped: { value: Infinity } },
      { label: [{ name: "v", value: "-inf" }], untyped: { value: -Infinity } },
      { label: [{ name: "v", value: "-0" }], untyped: { value: -0 } },
      { label: [{ name: "v", value: "tiny" }], untyped: { value: 5e-324 } },
    ],
  },
  {
    name: "utf8_ünïcødé 😀",
    help: "help with \\ and \n and ✓",
    type: 1,
    unit: "",
    metric: [{ label: [{ name: "ключ", value: "значение 😀" }], gauge: { value: 1 } }],
  },
  {
    name: "long_strings",
    help: "h".repeat(300),
    type: 1,
    metric: [{ label: [{ name: "l", value: "v".repeat(20000) }], gauge: { value: 2 } }],
  },
  {
    name: "counter_total",
    type: 0,
    metric: [
      {
        label: [{ name: "a", value: "" }],
        counter: {
          value: 0,
          exemplar: { label: [], timestamp: { seconds: -5, nanos: -1 } },
          createdTimestamp: { seconds: 1700000000, nanos: 999999999 },
        },
        timestampMs: 1700000000123,
      },
      { label: [], counter: {}, timestampMs: -1700000000123 },
      { label: [], counter: { value: 1 }, timestampMs: 0 },
    ],
  },
  {
    name: "summary",
    type: 2,
    metric: [{
      label: [],
      summary: {
        sampleCount: 2 ** 53,
        sampleSum: -1.5,
        quantile: [{ quantile: 0.99 }, { value: 3 }, {}],
        createdTimestamp: { seconds: 1, nanos: 2 },
      },
    }, { label: [], summary: { quantile: [] } }],
  },
  {
    name: "classic_histogram",
    type: 4,
    metric: [{
      label: [{ name: "le_not", value: "x" }],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 4294967296,
        sampleSum: 0,
        bucket: [
          { cumulativeCount: 0, upperBound: -Infinity },
          {
            cumulativeCount: 4294967295,
            upperBound: 0.25,
            exemplar: {
              label: [{ name: "trace_id", value: "abc" }],
              value: 0.2,
              timestamp: { seconds: 1, nanos: 0 },
            },
          },
          { cumulativeCountFloat: 2.5, upperBound: Infinity },
        ],
        createdTimestamp: { seconds: 0, nanos: 0 },
      },
    }],
  },
  {
    name: "native_histogram",
    type: 4,
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 100,
        sampleSum: 123.25,
        schema: -4,
        zeroThreshold: 2.938735877055719e-39,
        zeroCount: 0,
        negativeSpan: [{ offset: -2147483648, length: 4294967295 }, { offset: 2147483647 }, {}],
        negativeDelta: [2 ** 31, -(2 ** 31), 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53)],
        positiveSpan: [{ offset: 0, length: 0 }],
        positiveDelta: [0, -1, 1, 1073741823, -1073741824],
        exemplars: [
          { label: [{ name: "id", value: "1" }], value: 1, timestamp: { seconds: 1, nanos: 1 } },
          { label: [], value: NaN, timestamp: { seconds: 2, nanos: 0 } },
        ],
      },
    }],
  },
  {
    name: "float_gauge_histogram",
    type: 5,
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        sampleCountFloat: 10.5,
        sampleSum: -0,
        schema: 8,
        zeroThreshold: 0,
        zeroCountFloat: 0.5,
        negativeSpan: [{ offset: 1, length: 1 }],
        negativeCount: [-0, NaN],
        positiveSpan: [{ offset: 3, length: 2 }],
        positiveCount: [1e308, Infinity],
        bucket: [{ cumulativeCountFloat: 1.5, upperBound: 1 }],
      },
    }],
  },
  { name: "empty", type: 4, metric: [] },
  { name: "", type: 5, metric: [{ label: [] }] },
];
