/**
 * The limits of one push, applied while its body is parsed or decoded, so a
 * body past them is never held in its parsed form: the parse stops at the
 * first series or value past a limit and throws {@linkcode PushLimitError}.
 *
 * - **Series**: the metrics of all families (a histogram or summary series
 *   is one), the unit of `--push.max-series-per-push`.
 * - **Values**: everything else a series holds that costs memory: label
 *   pairs, summary quantiles, histogram buckets, native-histogram spans,
 *   deltas and counts, exemplars and their labels. Bounded so that a series
 *   cannot carry an unbounded amount (one histogram with millions of buckets,
 *   one series with millions of labels).
 *
 * @module
 */

import type { Exemplar, MetricFamily } from "@lib/model/metric.ts";

/** What one push may hold; 0 means no limit. */
export interface PushLimits {
  /** The most series one push may hold. */
  readonly maxSeries: number;
  /** The most labels and values one push may hold. */
  readonly maxValues: number;
}

/** Which limit a push passed. */
export type PushLimitKind = "series" | "values";

/** A push body past one of its {@linkcode PushLimits}; the parse stopped there. */
export class PushLimitError extends Error {
  /** The limit passed. */
  readonly kind: PushLimitKind;
  /** Its value. */
  readonly limit: number;

  /** Creates the error for `limit` of `kind`. */
  constructor(kind: PushLimitKind, limit: number) {
    super(
      `the push holds more than ${limit} ${kind === "series" ? "series" : "labels and values"}`,
    );
    this.name = "PushLimitError";
    this.kind = kind;
    this.limit = limit;
  }
}

/**
 * Counts what a parse has produced against the limits.
 *
 * @example
 * ```ts
 * import { PushBudget } from "@lib/model/push_limits.ts";
 * const budget = new PushBudget({ maxSeries: 2, maxValues: 10 });
 * budget.series(3); // 1 series with 3 labels
 * budget.series(0);
 * // budget.series(0) would now throw PushLimitError("series", 2)
 * ```
 */
export class PushBudget {
  readonly #maxSeries: number;
  readonly #maxValues: number;
  #series = 0;
  #values = 0;

  /** Starts counting against `limits`. */
  constructor(limits: PushLimits) {
    this.#maxSeries = limits.maxSeries > 0 ? limits.maxSeries : Infinity;
    this.#maxValues = limits.maxValues > 0 ? limits.maxValues : Infinity;
  }

  /** Counts one more series carrying `values` labels and values; throws past a limit. */
  series(values: number): void {
    if (++this.#series > this.#maxSeries) throw new PushLimitError("series", this.#maxSeries);
    this.values(values);
  }

  /** Counts `n` more labels and values; throws past the limit. */
  values(n: number): void {
    this.#values += n;
    if (this.#values > this.#maxValues) throw new PushLimitError("values", this.#maxValues);
  }

  /** Throws when `n` more labels and values would pass the limit (counts nothing). */
  check(n: number): void {
    if (this.#values + n > this.#maxValues) throw new PushLimitError("values", this.#maxValues);
  }

  /** Series counted so far. */
  get seriesCount(): number {
    return this.#series;
  }

  /** Labels and values counted so far. */
  get valueCount(): number {
    return this.#values;
  }
}

/**
 * Counts parsed families against `limits` the way the parsers count while
 * parsing (for a parser that cannot count itself): a series per metric; a value
 * per family, label pair, quantile, bucket, native-histogram span, delta and
 * count, and exemplar with its labels.
 *
 * @param families The parsed families.
 * @param limits The limits of one push.
 * @throws {PushLimitError} At the first series or value past a limit.
 */
export function checkFamilies(families: readonly MetricFamily[], limits: PushLimits): void {
  const budget = new PushBudget(limits);
  const exemplar = (e: Exemplar | undefined): void => {
    if (e !== undefined) budget.values(1 + e.label.length);
  };
  for (const f of families) {
    budget.values(1);
    for (const m of f.metric) {
      budget.series(m.label.length);
      exemplar(m.counter?.exemplar);
      budget.values(m.summary?.quantile.length ?? 0);
      const h = m.histogram;
      if (h === undefined) continue;
      budget.values(h.bucket.length + h.negativeSpan.length + h.positiveSpan.length);
      budget.values(h.negativeDelta.length + h.positiveDelta.length);
      budget.values(h.negativeCount.length + h.positiveCount.length);
      for (const b of h.bucket) exemplar(b.exemplar);
      for (const e of h.exemplars) exemplar(e);
    }
  }
}
