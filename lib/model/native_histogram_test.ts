import { assertEquals } from "@std/assert";
import { emptyHistogram, type Histogram } from "@lib/model/metric.ts";
import { bucketUpperBound, nativeHistogramBuckets } from "@lib/model/native_histogram.ts";

Deno.test("bucketUpperBound() is 2^(idx·2^-schema), MaxFloat64 for the last finite bucket", () => {
  assertEquals(bucketUpperBound(0, 0), 1);
  assertEquals(bucketUpperBound(3, 0), 8);
  assertEquals(bucketUpperBound(-1, 0), 0.5);
  assertEquals(bucketUpperBound(2, 1), 2);
  assertEquals(bucketUpperBound(1, -1), 4);
  assertEquals(bucketUpperBound(1024, 0), Number.MAX_VALUE);
});

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
    buckets: [[0, "0.7071067811865476", "1", "1.5"], [0, "1.4142135623730951", "2", "1"]],
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
