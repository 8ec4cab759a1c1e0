/**
 * Native (sparse) histogram buckets as the JSON API lists them: negative
 * buckets from the most negative upwards, the zero bucket, then positive
 * buckets, skipping empty ones; each `[boundaryRule, lower, upper, count]`
 * with boundary rule 0 = (lower,upper], 1 = [lower,upper), 2 = open, 3 = closed.
 *
 * @module
 */

import { formatGoFloat } from "@lib/gocompat/format_float.ts";
import { bucketBound, CUSTOM_BUCKETS_SCHEMA } from "@lib/model/bucket_bound.ts";
import type { BucketSpan, Histogram } from "@lib/model/metric.ts";

/** One API bucket: boundary rule, lower, upper and count, the last three as Go `%v` text. */
export type ApiBucket = [number, string, string, string];

/**
 * Walks spans and per-bucket values, yielding each bucket's index and absolute count. Indexes are
 * Go `int32`s, wrapping as upstream's do. Stops when the values run out: spans may claim more
 * buckets than were sent (a span of length 2^32 with one delta must not loop 2^32 times, blocking
 * the process); upstream's bucket iterators stop there too.
 */
function* walk(
  spans: readonly BucketSpan[],
  values: readonly number[],
  deltas: boolean,
): Generator<[number, number]> {
  let idx = 0;
  let at = 0;
  let count = 0;
  for (let s = 0; s < spans.length && at < values.length; s++) {
    const span = spans[s] as BucketSpan;
    idx = (idx + (span.offset ?? 0)) | 0;
    for (let i = 0; i < (span.length ?? 0) && at < values.length; i++) {
      const v = values[at++] as number;
      count = deltas ? count + v : v;
      yield [idx, count];
      idx = (idx + 1) | 0;
    }
  }
}

/**
 * The API's boundary rule from which ends are inclusive (upstream's `makeBucket`).
 * An exponential bucket includes an end that is below 0 (lower) or above 0 (upper), so a
 * positive bucket is (lower,upper] and a negative one [lower,upper) unless a bound underflows to 0.
 */
function boundaryRule(lowerInclusive: boolean, upperInclusive: boolean): number {
  if (lowerInclusive) return upperInclusive ? 3 : 1;
  return upperInclusive ? 0 : 2;
}

/** One positive or negative bucket as upstream's bucket iterator and `makeBucket` give it. */
function apiBucket(idx: number, positive: boolean, schema: number, count: string): ApiBucket {
  const below = bucketBound((idx - 1) | 0, schema);
  const above = bucketBound(idx, schema);
  const lower = positive ? below : -above;
  const upper = positive ? above : -below;
  const rule = schema === CUSTOM_BUCKETS_SCHEMA
    ? boundaryRule(idx === 0, true)
    : boundaryRule(lower < 0, upper > 0);
  return [rule, formatGoFloat(lower), formatGoFloat(upper), count];
}

/** Go's `%v` of a `uint64` bucket count converted from the summed `int64` deltas. */
function uint64Text(n: number): string {
  return Number.isInteger(n) ? BigInt.asUintN(64, BigInt(n)).toString() : String(n);
}

/**
 * A histogram count as the JSON API and the UI show it: the float field when
 * it is positive, else the integer one.
 *
 * @param float The float count (`sampleCountFloat`, `cumulativeCountFloat`).
 * @param int The integer count (`sampleCount`, `cumulativeCount`).
 * @returns Go `%v` text of the float, or the integer's decimal text.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * assertEquals(countText(2.5, 7), "2.5");
 * assertEquals(countText(0, 7), "7");
 * ```
 */
export function countText(float: number | undefined, int: number | undefined): string {
  return (float ?? 0) > 0 ? formatGoFloat(float as number) : String(int ?? 0);
}

/**
 * The API's `count` and `buckets` for a native histogram (integer or float), as upstream's
 * `GetAPIBuckets` and `GetAPIFloatBuckets`: bounds from {@linkcode bucketBound}, the
 * one computation the JSON API and the UI share.
 */
export function nativeHistogramBuckets(h: Histogram): { count: string; buckets: ApiBucket[] } {
  const isFloat = (h.sampleCountFloat ?? 0) > 0 || (h.zeroCountFloat ?? 0) > 0;
  const schema = h.schema ?? 0;
  const fmt = (n: number) => (isFloat ? formatGoFloat(n) : uint64Text(n));
  const buckets: ApiBucket[] = [];
  const negative = [...walk(
    h.negativeSpan,
    isFloat ? h.negativeCount : h.negativeDelta,
    !isFloat,
  )].filter(([, c]) => c !== 0);
  for (const [idx, c] of negative.reverse()) buckets.push(apiBucket(idx, false, schema, fmt(c)));
  const zero = isFloat ? h.zeroCountFloat ?? 0 : h.zeroCount ?? 0;
  if (zero !== 0) {
    const t = h.zeroThreshold ?? 0;
    buckets.push([3, formatGoFloat(-t), formatGoFloat(t), fmt(zero)]);
  }
  for (
    const [idx, c] of walk(h.positiveSpan, isFloat ? h.positiveCount : h.positiveDelta, !isFloat)
  ) {
    if (c !== 0) buckets.push(apiBucket(idx, true, schema, fmt(c)));
  }
  const count = isFloat ? formatGoFloat(h.sampleCountFloat ?? 0) : String(h.sampleCount ?? 0);
  return { count, buckets };
}
