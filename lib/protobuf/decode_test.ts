import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { concat } from "@std/bytes/concat";
import { decodeDelimited, decodeFamily } from "@lib/protobuf/decode.ts";
import { encodeDelimited, encodeFamily, frameDelimited } from "@lib/protobuf/encode.ts";
import { ParseError } from "@lib/model/parse_error.ts";
import { emptyHistogram, type MetricFamily } from "@lib/model/metric.ts";
import {
  assertParseError,
  EOF,
  exact,
  FIXTURES,
  hex,
  OVERFLOW,
  ROUND_TRIPS,
  WIRE,
} from "@lib/protobuf/test_fixtures.ts";

Deno.test("decodeFamily() decodes hand-built messages", async (t) => {
  for (const fx of FIXTURES) {
    await t.step(fx.name, () => {
      const family = decodeFamily(hex(fx.bytes));
      assertEquals(family, fx.family);
      assertEquals(exact(family), exact(fx.family));
    });
  }
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
