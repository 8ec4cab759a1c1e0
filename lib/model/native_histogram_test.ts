import { assertEquals } from "@std/assert";
import { emptyHistogram, type Histogram } from "@lib/model/metric.ts";
import { nativeHistogramBuckets } from "@lib/model/native_histogram.ts";

Deno.test("nativeHistogramBuckets() lists negative, zero and positive buckets as the API does", () => {
  const h: Histogram = {
    ...emptyHistogram(),
    sampleCount: 7,
    sampleSum: 3,
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount: 2,
    // Positive buckets 0, 1 and 3 (a gap of one) with counts 1, 2, 1 as deltas.
    positiveSpan: [{ offset: 0, length: 2 }, { offset: 1, length: 1 }],
    positiveDelta: [1, 1, -1],
    negativeSpan: [{ offset: 1, length: 1 }],
    negativeDelta: [1],
  };
  assertEquals(nativeHistogramBuckets(h), {
    count: "7",
    buckets: [
      [1, "-2", "-1", "1"],
      [3, "-0.001", "0.001", "2"],
      [0, "0.5", "1", "1"],
      [0, "1", "2", "2"],
      [0, "4", "8", "1"],
    ],
  });
});

Deno.test("nativeHistogramBuckets() skips empty buckets and reads float counts", () => {
  const h: Histogram = {
    ...emptyHistogram(),
    sampleCountFloat: 2.5,
    schema: 1,
    positiveSpan: [{ offset: 0, length: 3 }],
    positiveCount: [1.5, 0, 1],
  };
  assertEquals(nativeHistogramBuckets(h), {
    count: "2.5",
    buckets: [[0, "0.7071067811865475", "1", "1.5"], [0, "1.414213562373095", "2", "1"]],
  });
});

Deno.test("nativeHistogramBuckets() stops when the spans claim more buckets than were sent", () => {
  // One push must not make the API loop 2^31 times and block the process (this test would hang).
  const h: Histogram = {
    ...emptyHistogram(),
    sampleCount: 1,
    schema: 0,
    positiveSpan: [{ offset: 0, length: 2 ** 31 }, { offset: 5, length: 2 ** 31 }],
    positiveDelta: [1],
    negativeSpan: [{ offset: 0, length: 2 ** 31 }],
    negativeCount: [],
  };
  assertEquals(nativeHistogramBuckets(h).buckets, [[0, "0.5", "1", "1"]]);
});

// pushgateway's api/v1/api_test.go (v1.11.3): the two native histograms of its `mfh` family and the
// buckets its expected JSON lists for them.
const UPSTREAM_SPANS = [{ offset: 0, length: 2 }, { offset: 0, length: 2 }];

Deno.test("nativeHistogramBuckets() gives upstream api_test.go's int native histogram", () => {
  const h: Histogram = {
    ...emptyHistogram(),
    sampleCount: 20,
    sampleSum: 99.23,
    schema: 1,
    negativeDelta: [0, 2, -2, 0],
    positiveDelta: [0, 2, -2, 0],
    positiveSpan: UPSTREAM_SPANS,
    negativeSpan: UPSTREAM_SPANS,
  };
  assertEquals(nativeHistogramBuckets(h), {
    count: "20",
    buckets: [
      [1, "-1.414213562373095", "-1", "2"],
      [0, "1", "1.414213562373095", "2"],
    ],
  });
});

Deno.test("nativeHistogramBuckets() gives upstream api_test.go's float native histogram", () => {
  const h: Histogram = {
    ...emptyHistogram(),
    sampleCountFloat: 20,
    sampleSum: 99.23,
    schema: 1,
    negativeCount: [2, 2, -2, 0],
    positiveCount: [2, 2, -2, 0],
    positiveSpan: UPSTREAM_SPANS,
    negativeSpan: UPSTREAM_SPANS,
  };
  assertEquals(nativeHistogramBuckets(h), {
    count: "20",
    buckets: [
      [1, "-2", "-1.414213562373095", "-2"],
      [1, "-1.414213562373095", "-1", "2"],
      [1, "-1", "-0.7071067811865475", "2"],
      [0, "0.7071067811865475", "1", "2"],
      [0, "1", "1.414213562373095", "2"],
      [0, "1.414213562373095", "2", "-2"],
    ],
  });
});

// Expected buckets printed by a Go program running Prometheus's bucket iterators (prometheus
// v0.312.0 model/histogram) and pushgateway's makeBucket/BucketsAsJson on the same input.
const GO_CASES: [string, Histogram, (string | number)[][]][] = [
  [
    "schema -4: zero bucket, negative buckets, the last finite bucket and the +Inf one",
    {
      ...emptyHistogram(),
      schema: -4,
      zeroThreshold: 1e-10,
      zeroCount: 3,
      negativeSpan: [{ offset: -1, length: 2 }],
      negativeDelta: [1, 1],
      positiveSpan: [{ offset: 0, length: 1 }, { offset: 62, length: 3 }],
      positiveDelta: [5, -4, 1, 0],
    },
    [
      [1, "-1", "-1.52587890625e-05", "2"],
      [1, "-1.52587890625e-05", "-2.3283064365386963e-10", "1"],
      [3, "-1e-10", "1e-10", "3"],
      [0, "1.52587890625e-05", "1", "5"],
      [0, "4.185580496821357e+298", "2.7430620343968443e+303", "1"],
      [0, "2.7430620343968443e+303", "1.7976931348623157e+308", "2"],
      [0, "1.7976931348623157e+308", "+Inf", "2"],
    ],
  ],
  [
    "schema 3, float counts: an empty negative bucket skipped, a float zero bucket",
    {
      ...emptyHistogram(),
      schema: 3,
      sampleCountFloat: 4.25,
      zeroThreshold: 0.001,
      zeroCountFloat: 0.5,
      negativeSpan: [{ offset: -3, length: 3 }],
      negativeCount: [1, 0, 2.5],
      positiveSpan: [{ offset: 5, length: 2 }],
      positiveCount: [0.25, 1],
    },
    [
      [1, "-0.9170040432046711", "-0.8408964152537144", "2.5"],
      [1, "-0.7711054127039704", "-0.7071067811865475", "1"],
      [3, "-0.001", "0.001", "0.5"],
      [0, "1.414213562373095", "1.5422108254079407", "0.25"],
      [0, "1.5422108254079407", "1.6817928305074288", "1"],
    ],
  ],
  [
    "schema 8: table fractions around 1 and √2",
    {
      ...emptyHistogram(),
      schema: 8,
      negativeSpan: [{ offset: 127, length: 2 }],
      negativeDelta: [1, 0],
      positiveSpan: [{ offset: -1, length: 2 }],
      positiveDelta: [2, 1],
    },
    [
      [1, "-1.414213562373095", "-1.4103896082172704", "1"],
      [1, "-1.4103896082172704", "-1.4065759938190152", "1"],
      [0, "0.9945994234836328", "0.9972960560854698", "2"],
      [0, "0.9972960560854698", "1", "3"],
    ],
  ],
  [
    "schema -2, float: a -0 count is empty, the zero bucket shows with the float count",
    {
      ...emptyHistogram(),
      schema: -2,
      zeroThreshold: 0.25,
      zeroCountFloat: 2,
      negativeSpan: [{ offset: 0, length: 1 }],
      negativeCount: [-0],
      positiveSpan: [{ offset: 1, length: 1 }],
      positiveCount: [1.5],
    },
    [[3, "-0.25", "0.25", "2"], [0, "1", "16", "1.5"]],
  ],
  [
    "bounds that underflow to 0 make the interval open (boundary rule 2)",
    {
      ...emptyHistogram(),
      schema: 0,
      negativeSpan: [{ offset: -1075, length: 2 }],
      negativeDelta: [1, 0],
      positiveSpan: [{ offset: -1076, length: 3 }],
      positiveDelta: [1, 0, 0],
    },
    [
      [1, "-5e-324", "-0", "1"],
      [2, "-0", "-0", "1"],
      [2, "0", "0", "1"],
      [2, "0", "0", "1"],
      [0, "0", "5e-324", "1"],
    ],
  ],
  [
    "a negative integer bucket count is Go's uint64 of it",
    {
      ...emptyHistogram(),
      schema: 0,
      positiveSpan: [{ offset: 0, length: 2 }],
      positiveDelta: [1, -2],
    },
    [[0, "0.5", "1", "1"], [0, "1", "2", "18446744073709551615"]],
  ],
  [
    "bucket indexes are int32s that wrap",
    {
      ...emptyHistogram(),
      schema: 0,
      positiveSpan: [{ offset: 2147483647, length: 2 }],
      positiveDelta: [1, 0],
    },
    [[0, "+Inf", "+Inf", "1"], [2, "+Inf", "0", "1"]],
  ],
];

Deno.test("nativeHistogramBuckets() matches Prometheus's iterators for schemas -4 to 8", () => {
  for (const [name, h, want] of GO_CASES) {
    assertEquals(nativeHistogramBuckets(h).buckets, want, name);
  }
});
