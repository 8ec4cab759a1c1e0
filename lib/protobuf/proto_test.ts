import { assert, assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import {
  decodeDelimited,
  decodeFamily,
  delimitedFrame,
  encodeDelimited,
  encodeFamily,
  encodeMetricFields,
  frameDelimited,
} from "@lib/protobuf/proto.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { emptyHistogram, type MetricFamily } from "@lib/model/metric.ts";
import { decodeHex } from "@std/encoding/hex";
import { concat } from "@std/bytes/concat";

const EOF = "unexpected EOF";
const WIRE = "proto: cannot parse invalid wire-format data";
const OVERFLOW = "proto: variable length integer overflow";

/** Bytes from hex with optional spaces, e.g. `"0a 02 75 70"`. */
function hex(text: string): Uint8Array {
  return decodeHex(text.replace(/\s+/g, ""));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Key-sorted JSON keeping what assertEquals cannot tell apart: -0 and non-finite numbers. */
function exact(value: unknown): string {
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

function assertParseError(fn: () => unknown, message: string): void {
  const err = assertThrows(fn);
  assertInstanceOf(err, ParseError);
  assertEquals(err.message, message);
  assertEquals(err.line, 0);
}

// ---------------------------------------------------------------------------
// Hand-built fixtures, written from metrics.proto field by field.
// ---------------------------------------------------------------------------

interface Fixture {
  name: string;
  bytes: string;
  family: MetricFamily;
  /** Whether encodeFamily(family) reproduces `bytes` (Go's field order, unpacked). */
  canonical: boolean;
}

const FIXTURES: Fixture[] = [
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

Deno.test("decodeFamily() decodes hand-built messages", async (t) => {
  for (const fx of FIXTURES) {
    await t.step(fx.name, () => {
      const family = decodeFamily(hex(fx.bytes));
      assertEquals(family, fx.family);
      assertEquals(exact(family), exact(fx.family));
    });
  }
});

Deno.test("encodeFamily() writes Go's bytes: field-number order, unpacked repeated", async (t) => {
  for (const fx of FIXTURES.filter((f) => f.canonical)) {
    await t.step(fx.name, () => {
      assertEquals(toHex(encodeFamily(fx.family)), toHex(hex(fx.bytes)));
    });
  }
});

Deno.test("encodeFamily() writes packed input back unpacked", () => {
  const fx = FIXTURES.find((f) => f.name.startsWith("native histogram with packed"))!;
  const bytes = toHex(encodeFamily(decodeFamily(hex(fx.bytes))));
  assert(bytes.includes("68 02 68 01 68 04 68 05"), bytes);
  assert(bytes.includes("59 00 00 00 00 00 00 f8 3f 59 00 00 00 00 00 00 00 40"), bytes);
});

Deno.test("encodeFamily() writes a zero Timestamp as an empty message", () => {
  const bytes = encodeFamily({
    name: "c",
    type: 0,
    metric: [{ label: [], counter: { createdTimestamp: { seconds: 0, nanos: 0 } } }],
  });
  assertEquals(toHex(bytes), "0a 01 63 18 00 22 04 1a 02 1a 00");
});

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

const ROUND_TRIPS: MetricFamily[] = [
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

Deno.test("encodeFamily() and decodeFamily() round-trip every field losslessly", async (t) => {
  for (const family of ROUND_TRIPS) {
    await t.step(family.name || "(empty name)", () => {
      const decoded = decodeFamily(encodeFamily(family));
      assertEquals(decoded, family);
      assertEquals(exact(decoded), exact(family));
    });
  }
});

Deno.test("encodeDelimited() and decodeDelimited() round-trip a stream", () => {
  const bytes = encodeDelimited(ROUND_TRIPS);
  const decoded = decodeDelimited(bytes);
  assertEquals(decoded, ROUND_TRIPS);
  assertEquals(exact(decoded), exact(ROUND_TRIPS));
});

Deno.test("encodeDelimited() equals frameDelimited(encodeFamily()) per family", () => {
  function* families(): Generator<MetricFamily> {
    yield* ROUND_TRIPS;
  }
  const framed = concat(ROUND_TRIPS.map((f) => frameDelimited(encodeFamily(f))));
  assertEquals(encodeDelimited(families()), framed);
  assertEquals(encodeDelimited([]), new Uint8Array(0));
});

Deno.test("delimitedFrame() around encodeMetricFields() of any split equals the family's frame", () => {
  const withUnit: MetricFamily = { ...ROUND_TRIPS[0]!, unit: "seconds", help: "h" };
  // Enough series for a two-byte size prefix.
  const many: MetricFamily = {
    name: "many",
    type: 1,
    metric: Array.from({ length: 40 }, (_, i) => ({
      label: [{ name: "i", value: String(i) }],
      gauge: { value: i },
    })),
  };
  for (const family of [...ROUND_TRIPS, withUnit, many]) {
    const whole = frameDelimited(encodeFamily(family));
    for (let split = 0; split <= family.metric.length; split++) {
      const parts = [
        encodeMetricFields(family.metric.slice(0, split)),
        encodeMetricFields(family.metric.slice(split)),
      ];
      const { head, tail } = delimitedFrame(family, parts[0]!.length + parts[1]!.length);
      assertEquals(concat([head, ...parts, tail]), whole, `${family.name} split ${split}`);
    }
  }
  assertEquals(encodeMetricFields([]), new Uint8Array(0));
});

Deno.test("frameDelimited() writes a varint size", async (t) => {
  const cases: [number, string][] = [[0, "00"], [1, "01"], [127, "7f"], [128, "80 01"], [
    300,
    "ac 02",
  ], [16384, "80 80 01"]];
  for (const [size, prefix] of cases) {
    await t.step(`${size} bytes`, () => {
      const framed = frameDelimited(new Uint8Array(size).fill(7));
      assertEquals(toHex(framed.subarray(0, framed.length - size)), prefix);
      assertEquals(framed.subarray(framed.length - size), new Uint8Array(size).fill(7));
    });
  }
});

Deno.test("encodeFamily() coerces numbers a 64-bit field cannot hold", async (t) => {
  const cases: { name: string; sampleCount: number; want: number }[] = [
    { name: "fraction truncated", sampleCount: 2.9, want: 2 },
    { name: "large fraction truncated", sampleCount: 2 ** 40 + 0.5, want: 2 ** 40 },
    { name: "negative to 0", sampleCount: -3, want: 0 },
    { name: "NaN to 0", sampleCount: NaN, want: 0 },
    { name: "above uint64 clamped", sampleCount: 2 ** 70, want: 2 ** 64 },
    { name: "+Inf clamped", sampleCount: Infinity, want: 2 ** 64 },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const family: MetricFamily = {
        name: "s",
        type: 2,
        metric: [{ label: [], summary: { sampleCount: c.sampleCount, quantile: [] } }],
      };
      assertEquals(decodeFamily(encodeFamily(family)).metric[0]!.summary!.sampleCount, c.want);
    });
  }
  await t.step("int64 and sint64 clamped to their range", () => {
    const family: MetricFamily = {
      name: "h",
      type: 4,
      metric: [{
        label: [],
        timestampMs: -(2 ** 70),
        histogram: { ...emptyHistogram(), positiveDelta: [2 ** 70, -Infinity, NaN] },
      }],
    };
    const decoded = decodeFamily(encodeFamily(family)).metric[0]!;
    assertEquals(decoded.timestampMs, -(2 ** 63));
    assertEquals(decoded.histogram!.positiveDelta, [2 ** 63, -(2 ** 63), 0]);
  });
});

Deno.test("decodeFamily() reads 64-bit integers beyond 2^53 approximately", () => {
  // sample_count = 2^64-1, timestamp_ms = int64 min
  const bytes = hex(
    "0a 01 73 18 02 22 18 22 0b 08 ff ff ff ff ff ff ff ff ff 01 30 80 80 80 80 80 80 80 80 80 01",
  );
  const metric = decodeFamily(bytes).metric[0]!;
  assertEquals(metric.summary!.sampleCount, 2 ** 64);
  assertEquals(metric.timestampMs, -(2 ** 63));
});

// ---------------------------------------------------------------------------
// Streams, truncation and garbage
// ---------------------------------------------------------------------------

Deno.test("decodeDelimited() reads nothing from empty input", () => {
  assertEquals(decodeDelimited(new Uint8Array(0)), []);
});

Deno.test("decodeDelimited() keeps families with the same name in order", () => {
  const a: MetricFamily = { name: "x", type: 1, metric: [{ label: [], gauge: { value: 1 } }] };
  const b: MetricFamily = { name: "x", type: 1, metric: [{ label: [], gauge: { value: 2 } }] };
  assertEquals(decodeDelimited(encodeDelimited([a, b])), [a, b]);
});

Deno.test("decodeDelimited() decodes a zero-length message as an empty family", () => {
  assertEquals(decodeDelimited(hex("00 00")), [
    { name: "", type: 0, metric: [] },
    { name: "", type: 0, metric: [] },
  ]);
});

Deno.test("decodeDelimited() reports truncation at every byte offset as unexpected EOF", () => {
  const bytes = encodeDelimited(ROUND_TRIPS.slice(0, 9)); // includes messages > 127 bytes
  const boundaries = new Map<number, number>([[0, 0]]);
  let end = 0;
  for (let i = 0; i < 9; i++) {
    end += frameDelimited(encodeFamily(ROUND_TRIPS[i]!)).length;
    boundaries.set(end, i + 1);
  }
  assertEquals(end, bytes.length);
  let truncated = 0;
  for (let cut = 0; cut <= bytes.length; cut++) {
    const prefix = bytes.subarray(0, cut);
    const complete = boundaries.get(cut);
    if (complete !== undefined) {
      assertEquals(decodeDelimited(prefix), ROUND_TRIPS.slice(0, complete));
    } else {
      assertParseError(() => decodeDelimited(prefix), EOF);
      truncated++;
    }
  }
  assert(truncated > 20000, `only ${truncated} truncated prefixes`);
});

Deno.test("decodeFamily() rejects or accepts every truncated body without other errors", () => {
  const body = encodeFamily(ROUND_TRIPS[8]!); // native histogram
  let rejected = 0;
  for (let cut = 0; cut < body.length; cut++) {
    try {
      decodeFamily(body.subarray(0, cut));
    } catch (err) {
      assertInstanceOf(err, ParseError);
      assertEquals(err.message, WIRE);
      rejected++;
    }
  }
  // The only valid prefixes end right after the top-level name or type field.
  assertEquals(rejected, body.length - 3);
});

Deno.test("decodeDelimited() rejects bad size prefixes", async (t) => {
  const cases: { name: string; bytes: string; message: string }[] = [
    { name: "size larger than the input", bytes: "05 0a 01", message: EOF },
    { name: "size without a message", bytes: "05", message: EOF },
    { name: "4 GiB size", bytes: "ff ff ff ff 0f 0a 01 61", message: EOF },
    { name: "2^63 size", bytes: "80 80 80 80 80 80 80 80 80 01 0a", message: EOF },
    { name: "unterminated size", bytes: "80", message: EOF },
    { name: "size after a complete message ends early", bytes: "02 0a 00 ff", message: EOF },
    {
      name: "size longer than ten bytes",
      bytes: "ff ff ff ff ff ff ff ff ff ff 01",
      message: OVERFLOW,
    },
    { name: "tenth size byte above 1", bytes: "ff ff ff ff ff ff ff ff ff 02", message: OVERFLOW },
  ];
  for (const c of cases) {
    await t.step(c.name, () => assertParseError(() => decodeDelimited(hex(c.bytes)), c.message));
  }
});

const GARBAGE: { name: string; bytes: string }[] = [
  { name: "wire type 7", bytes: "0f" },
  { name: "wire type 6", bytes: "0e 00" },
  { name: "field number 0", bytes: "00" },
  { name: "tag above the largest field number", bytes: "80 80 80 80 80 01" },
  { name: "end group without a start", bytes: "0c" },
  { name: "group closed by another field's end", bytes: "bb 06 08 01 14" },
  { name: "unterminated group", bytes: "bb 06 08 01" },
  { name: "string longer than the message", bytes: "0a 05 61" },
  { name: "label longer than its metric", bytes: "22 03 0a 05 00" },
  { name: "truncated double in a gauge", bytes: "22 03 12 01 09" },
  { name: "truncated fixed32 unknown field", bytes: "c5 06 01 02" },
  { name: "truncated fixed64 unknown field", bytes: "a9 06 01 02 03" },
  { name: "varint with eleven bytes", bytes: "18 ff ff ff ff ff ff ff ff ff ff 01" },
  { name: "tenth varint byte above 1", bytes: "18 ff ff ff ff ff ff ff ff ff 7f" },
  { name: "unterminated varint", bytes: "18 80" },
  { name: "packed doubles not a multiple of 8", bytes: "22 0b 3a 09 5a 07 00 00 00 00 00 00 00" },
  { name: "truncated varint in packed deltas", bytes: "22 05 3a 03 6a 01 80" },
  { name: "packed deltas longer than the histogram", bytes: "22 04 3a 02 6a 05" },
];

Deno.test("decodeFamily() and decodeDelimited() reject garbage", async (t) => {
  for (const c of GARBAGE) {
    await t.step(c.name, () => {
      const body = hex(c.bytes);
      assertParseError(() => decodeFamily(body), WIRE);
      assertParseError(() => decodeDelimited(frameDelimited(body)), WIRE);
    });
  }
  /** `depth` nested groups of field 103. */
  function nestedGroups(depth: number): Uint8Array {
    return concat([hex("bb 06".repeat(depth)), hex("bc 06".repeat(depth))]);
  }
  await t.step("101 nested groups are too deep", () => {
    assertParseError(() => decodeFamily(nestedGroups(101)), WIRE);
  });
  await t.step("100 nested groups are skipped", () => {
    assertEquals(decodeFamily(concat([hex("0a 01 61"), nestedGroups(100)])).name, "a");
  });
});

Deno.test("decodeDelimited() reports a bad message after good ones", () => {
  const good = encodeDelimited(ROUND_TRIPS.slice(0, 2));
  assertParseError(() => decodeDelimited(concat([good, hex("02 ff ff")])), WIRE);
});

Deno.test("decodeFamily() decodes a subarray view at its own offset", () => {
  const body = encodeFamily(ROUND_TRIPS[5]!);
  const padded = concat([hex("ff ff ff"), body, hex("ff")]);
  assertEquals(decodeFamily(padded.subarray(3, 3 + body.length)), ROUND_TRIPS[5]);
  assertEquals(decodeDelimited(concat([hex("ff"), frameDelimited(body)]).subarray(1)), [
    ROUND_TRIPS[5],
  ]);
});

Deno.test("decodeFamily() replaces invalid UTF-8 like a lenient decoder", () => {
  assertEquals(decodeFamily(hex("0a 02 61 ff")).name, "a\ufffd");
});

// ---------------------------------------------------------------------------
// A real scrape from the Go reference (pushgateway 1.5.1)
// ---------------------------------------------------------------------------

const REFERENCE = new URL(
  "../../tests/testdata/proto/pushgateway_1.5.1_scrape.bin",
  import.meta.url,
);

Deno.test("decodeDelimited() reads a Go-encoded scrape; encoding it again gives the same bytes", () => {
  const bytes = Deno.readFileSync(REFERENCE);
  const families = decodeDelimited(bytes);
  assertEquals(families.length, 47);
  assertEquals(encodeDelimited(families), bytes);

  const byName = new Map(families.map((f) => [f.name, f]));
  const pushed = [{ name: "instance", value: "" }, { name: "job", value: "x" }];
  assertEquals(byName.get("nh"), {
    name: "nh",
    help: "native",
    type: 4,
    metric: [{
      label: pushed,
      histogram: {
        ...emptyHistogram(),
        sampleCount: 9,
        sampleSum: -3,
        schema: -2,
        zeroThreshold: 1e-128,
        zeroCount: 1,
        negativeSpan: [{ offset: -3, length: 2 }],
        negativeDelta: [2, -1],
        positiveSpan: [{ offset: 0, length: 2 }, { offset: 5, length: 1 }],
        positiveDelta: [1, 1, -2000000000000],
      },
    }],
  });
  assertEquals(byName.get("fh")!.metric[0]!.histogram!.positiveCount, [1, 2.5, 5.5]);
  assertEquals(byName.get("fh")!.type, 5);
  assertEquals(
    exact(byName.get("g")),
    exact({
      name: "g",
      help: "",
      type: 1,
      metric: [
        { label: pushed, gauge: { value: -0 } },
        { label: [{ name: "b", value: "é" }, ...pushed], gauge: { value: NaN } },
      ],
    }),
  );
  assertEquals(byName.get("c_total")!.metric[0]!.counter!.exemplar, {
    label: [{ name: "tid", value: "abc" }],
    value: 0.5,
    timestamp: { seconds: 1700000000, nanos: 123 },
  });
  assertEquals(byName.get("s")!.help, undefined);
  assertEquals(byName.get("go_gc_duration_seconds")!.type, 2);
  assertEquals(byName.get("push_time_seconds")!.metric.length, 1);
});
