import { assert, assertEquals } from "@std/assert";
import { concat } from "@std/bytes/concat";
import {
  delimitedFrame,
  encodeDelimited,
  encodeFamily,
  encodeMetricFields,
  frameDelimited,
} from "@lib/protobuf/encode.ts";
import { decodeDelimited, decodeFamily } from "@lib/protobuf/decode.ts";
import { emptyHistogram, type MetricFamily } from "@lib/model/metric.ts";
import { exact, FIXTURES, hex, ROUND_TRIPS, toHex } from "@lib/protobuf/test_fixtures.ts";

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
