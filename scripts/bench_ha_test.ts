import { assertAlmostEquals, assertEquals } from "@std/assert";
import { bucketDelta, bucketQuantile, bucketSum, haReport, parseHistogram } from "./bench_ha.ts";

const SCRAPE = `# TYPE pushgateway_storage_apply_delay_seconds histogram
pushgateway_storage_apply_delay_seconds_bucket{le="0.001"} 2
pushgateway_storage_apply_delay_seconds_bucket{le="0.01"} 90
pushgateway_storage_apply_delay_seconds_bucket{le="0.1"} 99
pushgateway_storage_apply_delay_seconds_bucket{le="+Inf"} 100
pushgateway_storage_apply_delay_seconds_sum 1.5
pushgateway_storage_apply_delay_seconds_count 100
`;

Deno.test("parseHistogram() reads the buckets of a text scrape, +Inf last", () => {
  assertEquals(parseHistogram(SCRAPE, "pushgateway_storage_apply_delay_seconds"), [
    { le: 0.001, count: 2 },
    { le: 0.01, count: 90 },
    { le: 0.1, count: 99 },
    { le: Infinity, count: 100 },
  ]);
  assertEquals(parseHistogram(SCRAPE, "other"), []);
});

Deno.test("bucketQuantile() interpolates within the bucket like histogram_quantile", () => {
  const b = parseHistogram(SCRAPE, "pushgateway_storage_apply_delay_seconds");
  assertAlmostEquals(bucketQuantile(b, 0.5), 0.001 + 0.009 * (50 - 2) / 88, 1e-12);
  assertAlmostEquals(bucketQuantile(b, 0.99), 0.1, 1e-12);
  assertEquals(bucketQuantile(b, 1), 0.1, "the +Inf bucket gives the highest finite bound");
  assertAlmostEquals(bucketQuantile(b, 0.01), 0.0005, 1e-12, "the lowest bucket starts at 0");
  assertEquals(bucketQuantile([], 0.5), NaN);
  assertEquals(bucketQuantile([{ le: 1, count: 0 }, { le: Infinity, count: 0 }], 0.5), NaN);
});

Deno.test("bucketDelta() and bucketSum() combine scrapes of several replicas", () => {
  const before = [{ le: 0.1, count: 1 }, { le: Infinity, count: 2 }];
  const after = [{ le: 0.1, count: 5 }, { le: Infinity, count: 7 }];
  const d = bucketDelta(after, before);
  assertEquals(d, [{ le: 0.1, count: 4 }, { le: Infinity, count: 5 }]);
  assertEquals(bucketSum([d, d]), [{ le: 0.1, count: 8 }, { le: Infinity, count: 10 }]);
});

Deno.test("haReport() says which targets were met", () => {
  const text = haReport({
    singlePushRate: 4000,
    haPushRate: 1500,
    haRatio: 0.375,
    lagP50Ms: 3,
    lagP99Ms: 40,
    lagSamples: 9000,
    writesPerCommit: 3.5,
    replicaCpuMsPerPush: [0.4, 0.5],
    errors: 0,
    targetsMet: { ratio: false, absolute: true, lag: true },
  }, 8);
  assertEquals(text.includes("≥ half (**missed**), ≥ 1,000/s (met)"), true, text);
  assertEquals(text.includes("| 3.0 / 40.0 | p99 ≤ 200 (met) |"), true, text);
  assertEquals(text.includes("| writes per transaction (group commit) | 3.5 | |"), true, text);
});
