import { assertEquals, assertThrows } from "@std/assert";
import { emptyHistogram, type Exemplar, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { PushLimitError } from "@lib/model/push_limits.ts";
import { decodeDelimited } from "@lib/protobuf/decode.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { checkDelimitedLimits } from "@lib/protobuf/push_scan.ts";

const NO_LIMITS = { maxSeries: 0, maxValues: 0 };

/** The reference count, on the decoded model: what the scan must find on the wire. */
function countModel(families: MetricFamily[]): { series: number; values: number } {
  let series = 0, values = 0;
  const exemplar = (e: Exemplar | undefined) => {
    if (e !== undefined) values += 1 + e.label.length;
  };
  for (const f of families) {
    values++;
    for (const m of f.metric) {
      series++;
      values += m.label.length;
      exemplar(m.counter?.exemplar);
      values += m.summary?.quantile.length ?? 0;
      const h = m.histogram;
      if (h === undefined) continue;
      values += h.bucket.length + h.negativeSpan.length + h.positiveSpan.length;
      values += h.negativeDelta.length + h.positiveDelta.length;
      values += h.negativeCount.length + h.positiveCount.length;
      for (const b of h.bucket) exemplar(b.exemplar);
      for (const e of h.exemplars) exemplar(e);
    }
  }
  return { series, values };
}

const ex: Exemplar = { label: [{ name: "trace", value: "t" }], value: 1 };

const FAMILIES: MetricFamily[] = [
  {
    name: "c",
    type: MetricType.COUNTER,
    metric: [
      { label: [{ name: "a", value: "1" }], counter: { value: 1, exemplar: ex } },
      { label: [{ name: "a", value: "2" }, { name: "b", value: "" }], counter: { value: 2 } },
    ],
  },
  { name: "g", type: MetricType.GAUGE, metric: [{ label: [], gauge: { value: 1 } }] },
  { name: "empty", type: MetricType.GAUGE, metric: [] },
  {
    name: "s",
    type: MetricType.SUMMARY,
    metric: [{
      label: [{ name: "x", value: "y" }],
      summary: { sampleCount: 1, sampleSum: 2, quantile: [{ quantile: 0.5, value: 1 }, {}] },
    }],
  },
  {
    name: "h",
    type: MetricType.HISTOGRAM,
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 3,
        bucket: [{ upperBound: 1, cumulativeCount: 1, exemplar: ex }, { upperBound: 2 }],
        schema: 3,
        positiveSpan: [{ offset: 0, length: 3 }],
        positiveDelta: [1, -1, 200000],
        negativeSpan: [{ offset: 1, length: 2 }],
        negativeCount: [1.5, 2.5],
        exemplars: [ex, { label: [] }],
      },
    }],
  },
];

Deno.test("checkDelimitedLimits() counts what decoding would make", () => {
  const body = encodeDelimited(FAMILIES);
  const want = countModel(decodeDelimited(body));
  assertEquals(want, { series: 5, values: 27 });
  assertEquals(checkDelimitedLimits(body, NO_LIMITS), want);
  // Exactly at the limits is fine; one less is refused, with the limit that was passed.
  checkDelimitedLimits(body, { maxSeries: want.series, maxValues: want.values });
  const series = assertThrows(
    () => checkDelimitedLimits(body, { maxSeries: want.series - 1, maxValues: 0 }),
    PushLimitError,
  );
  assertEquals([series.kind, series.limit], ["series", 4]);
  const values = assertThrows(
    () => checkDelimitedLimits(body, { maxSeries: 0, maxValues: want.values - 1 }),
    PushLimitError,
  );
  assertEquals([values.kind, values.limit], ["values", 26]);
});

Deno.test("checkDelimitedLimits() counts deltas and counts packed and unpacked alike", () => {
  // Histogram (field 7) with positive_delta (13) unpacked twice and positive_count (14) unpacked.
  const histogram = [0x68, 0x02, 0x68, 0x04, 0x71, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];
  const metric = [0x3a, histogram.length, ...histogram];
  const family = [0x0a, 0x01, 0x68, 0x18, 0x04, 0x22, metric.length, ...metric];
  const body = new Uint8Array([family.length, ...family]);
  const decoded = decodeDelimited(body);
  assertEquals(decoded[0]?.metric[0]?.histogram?.positiveDelta, [1, 2]);
  assertEquals(decoded[0]?.metric[0]?.histogram?.positiveCount, [1]);
  assertEquals(checkDelimitedLimits(body, NO_LIMITS), countModel(decoded));
});

Deno.test("checkDelimitedLimits() stops at the limit on a body that would decode to millions of objects", () => {
  // One family with a million empty metrics (2 bytes each on the wire).
  const n = 1_000_000;
  const family = new Uint8Array(3 + 2 * n);
  family.set([0x0a, 0x01, 0x61]);
  for (let i = 0; i < n; i++) family.set([0x22, 0x00], 3 + 2 * i);
  const prefix: number[] = [];
  for (let v = family.length; v >= 0x80; v = Math.floor(v / 128)) prefix.push((v & 0x7f) | 0x80);
  prefix.push(Math.floor(family.length / 128 ** prefix.length));
  const body = new Uint8Array([...prefix, ...family]);
  const err = assertThrows(
    () => checkDelimitedLimits(body, { maxSeries: 100_000, maxValues: 0 }),
    PushLimitError,
  );
  assertEquals(err.message, "the push holds more than 100000 series");
  assertEquals(checkDelimitedLimits(body, NO_LIMITS).series, n);
});

Deno.test("checkDelimitedLimits() leaves malformed input to the decoder", () => {
  const body = encodeDelimited(FAMILIES);
  for (const cut of [1, 5, body.length - 1]) {
    const part = body.subarray(0, cut);
    checkDelimitedLimits(part, { maxSeries: 1000, maxValues: 1000 });
    assertThrows(() => decodeDelimited(part), Error);
  }
  // A group wire type: not counted further, and no error from the scan.
  checkDelimitedLimits(new Uint8Array([0x02, 0x0b, 0x0c]), { maxSeries: 1, maxValues: 1 });
});

Deno.test("checkDelimitedLimits() agrees with the decoder on a real pushgateway scrape", async () => {
  const body = await Deno.readFile(
    new URL("../../tests/testdata/proto/pushgateway_1.5.1_scrape.bin", import.meta.url),
  );
  const counts = checkDelimitedLimits(body, NO_LIMITS);
  assertEquals(counts, countModel(decodeDelimited(body)));
  assertEquals(counts.series > 10, true);
});
