/**
 * Native (sparse) histogram buckets as the JSON API lists them: negative
 * buckets from the most negative upwards, the zero bucket, then positive
 * buckets, skipping empty ones; each `[boundaryRule, lower, upper, count]`
 * with boundary rule 0 = (lower,upper], 1 = [lower,upper), 2 = open, 3 = closed.
 *
 * @module
 */

import { formatGoFloat } from "@lib/gocompat/format_float.ts";
import type { BucketSpan, Histogram } from "@lib/model/metric.ts";

/** One API bucket: boundary rule, lower, upper and count, the last three as Go `%v` text. */
export type ApiBucket = [number, string, string, string];

/**
 * The upper bound of bucket `idx` in an exponential schema: 2^(idx·2^-schema).
 * Computed with `Math.pow`; Go's precomputed table can differ in the last digit.
 */
export function bucketUpperBound(idx: number, schema: number): number {
  if (schema <= 0) {
    const exp = idx * 2 ** -schema;
    return exp === 1024 ? Number.MAX_VALUE : 2 ** exp;
  }
  const per = 2 ** schema;
  const frac = 2 ** ((((idx % per) + per) % per) / per) / 2;
  const exp = Math.floor(idx / per) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return frac * 2 ** exp;
}

/**
 * Walks spans and per-bucket values, yielding each bucket's index and absolute count. Stops when
 * the values run out: spans may claim more buckets than were sent (a span of length 2^32 with one
 * delta must not loop 2^32 times, blocking the process). Upstream's iterator cannot go past them
 * either: it panics, and that API request fails.
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
    idx += span.offset ?? 0;
    for (let i = 0; i < (span.length ?? 0) && at < values.length; i++) {
      const v = values[at++] as number;
      count = deltas ? count + v : v;
      yield [idx, count];
      idx++;
    }
  }
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

/** The API's `count` and `buckets` for a native histogram (integer or float). */
export function nativeHistogramBuckets(h: Histogram): { count: string; buckets: ApiBucket[] } {
  const isFloat = (h.sampleCountFloat ?? 0) > 0 || (h.zeroCountFloat ?? 0) > 0;
  const schema = h.schema ?? 0;
  const fmt = (n: number) => (isFloat ? formatGoFloat(n) : String(n));
  const buckets: ApiBucket[] = [];
  const negative = [...walk(
    h.negativeSpan,
    isFloat ? h.negativeCount : h.negativeDelta,
    !isFloat,
  )].filter(([, c]) => c !== 0);
  for (const [idx, c] of negative.reverse()) {
    const lower = -bucketUpperBound(idx, schema);
    const upper = -bucketUpperBound(idx - 1, schema);
    buckets.push([1, formatGoFloat(lower), formatGoFloat(upper), fmt(c)]);
  }
  const zero = isFloat ? h.zeroCountFloat ?? 0 : h.zeroCount ?? 0;
  if (zero !== 0) {
    const t = h.zeroThreshold ?? 0;
    buckets.push([3, formatGoFloat(-t), formatGoFloat(t), fmt(zero)]);
  }
  for (
    const [idx, c] of walk(h.positiveSpan, isFloat ? h.positiveCount : h.positiveDelta, !isFloat)
  ) {
    if (c === 0) continue;
    const lower = bucketUpperBound(idx - 1, schema);
    const upper = bucketUpperBound(idx, schema);
    buckets.push([0, formatGoFloat(lower), formatGoFloat(upper), fmt(c)]);
  }
  const count = isFloat ? formatGoFloat(h.sampleCountFloat ?? 0) : String(h.sampleCount ?? 0);
  return { count, buckets };
}
