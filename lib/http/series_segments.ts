/**
 * Cuts a family's series into runs ("segments") whose boundaries depend on
 * the series themselves, so that a scrape cache can keep the rendered (and
 * compressed) bytes of every run a write did not touch.
 *
 * A run ends after a series whose label hash falls below a threshold
 * proportional to the number of sample lines it renders, so runs hold about
 * {@linkcode TARGET_LINES} lines on average whatever the family's type, and a
 * run is cut at {@linkcode MAX_LINES} at the latest. Because a boundary is a
 * property of one series, inserting or removing series changes only the run
 * they fall in (two runs when a boundary series goes), never the runs after.
 *
 * Reuse relies on what the store promises (`lib/store/store.ts`): series
 * handed out by the view are never modified, and a write leaves the `Metric`
 * objects of the series it did not touch in place, so the merged family of
 * the next read holds the very same objects. A previous run is reused when
 * the new series array holds its exact objects, in order, at the current
 * position. Label hashes are computed only for series not in a reused run.
 *
 * @module
 */

import type { Metric } from "@lib/model/metric.ts";

/** Average sample lines per run. */
export const TARGET_LINES = 256;
/** A run is cut after this many sample lines even without a boundary series. */
export const MAX_LINES = 4 * TARGET_LINES;

/** A run of consecutive series of one family. */
export interface SeriesRun {
  /** The series, the same objects as in the family. */
  readonly metrics: readonly Metric[];
  /** Whether the run ends at a boundary series or at the cap (false: it ended with the family). */
  readonly closed: boolean;
}

/**
 * The number of sample lines a series renders in the text format (1 for a
 * counter, gauge or untyped; quantiles + 2 for a summary; buckets + 3 for a
 * histogram), the weight of a series in a run.
 *
 * @param m The series.
 * @returns At least 1.
 */
export function seriesLines(m: Metric): number {
  if (m.histogram !== undefined) return m.histogram.bucket.length + 3;
  if (m.summary !== undefined) return m.summary.quantile.length + 2;
  return 1;
}

/**
 * A 32-bit hash of a series' label names and values (its identity in the
 * family, independent of its value): FNV-1a, then a finaliser so that every
 * bit depends on every character.
 *
 * @param m The series.
 * @returns An unsigned 32-bit hash.
 */
export function labelHash(m: Metric): number {
  let h = 0x811c9dc5;
  const labels = m.label;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    const name = l.name;
    for (let j = 0; j < name.length; j++) h = Math.imul(h ^ name.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
    const value = l.value;
    for (let j = 0; j < value.length; j++) h = Math.imul(h ^ value.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xfe, 0x01000193);
  }
  // FNV's high bits barely depend on the last characters (label values that differ only at the
  // end, as counters do): mix them in (MurmurHash3's finaliser) before the threshold test.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const HASH_PER_LINE = 2 ** 32 / TARGET_LINES;

/**
 * Whether a run ends after this series: with probability lines/{@linkcode TARGET_LINES}
 * over label sets, decided by the labels alone.
 *
 * @param m The series.
 * @returns True for a boundary series.
 */
export function endsRun(m: Metric): boolean {
  return labelHash(m) < seriesLines(m) * HASH_PER_LINE;
}

/** Whether `run` sits at `metrics[at…]` with the very same objects and may be kept. */
function fits(run: SeriesRun, metrics: readonly Metric[], at: number): boolean {
  const mine = run.metrics;
  const end = at + mine.length;
  if (end > metrics.length) return false;
  // A run that ended with the family is kept only while it still does: otherwise
  // series appended after it would form ever smaller runs.
  if (!run.closed && end !== metrics.length) return false;
  for (let k = 0; k < mine.length; k++) if (mine[k] !== metrics[at + k]) return false;
  return true;
}

/**
 * Cuts `metrics` into runs, keeping every run of `previous` that is still
 * there unchanged and creating the others with `create`.
 *
 * @param previous The runs of the family's previous series (may be empty).
 * @param metrics The family's series now.
 * @param create Makes a new run (for example with empty caches).
 * @returns The runs covering `metrics` in order: kept ones are the objects
 * from `previous`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import type { Metric } from "@lib/model/metric.ts";
 * const metrics: Metric[] = Array.from({ length: 5000 }, (_, i) => ({
 *   label: [{ name: "i", value: String(i) }],
 *   gauge: { value: i },
 * }));
 * const create = (m: readonly Metric[], closed: boolean) => ({ metrics: m, closed });
 * const before = resegment([], metrics, create);
 * // Drop one series: every run but the one holding it (or two, if it ended a run) is kept.
 * const after = resegment(before, metrics.filter((_, i) => i !== 2500), create);
 * assert(after.filter((r) => !before.includes(r)).length <= 2);
 * ```
 */
export function resegment<R extends SeriesRun>(
  previous: readonly R[],
  metrics: readonly Metric[],
  create: (metrics: readonly Metric[], closed: boolean) => R,
): R[] {
  const byFirst = new Map<Metric, R>();
  for (const run of previous) {
    const first = run.metrics[0];
    if (first !== undefined) byFirst.set(first, run);
  }
  const out: R[] = [];
  let i = 0;
  while (i < metrics.length) {
    const kept = byFirst.get(metrics[i]!);
    if (kept !== undefined && fits(kept, metrics, i)) {
      out.push(kept);
      i += kept.metrics.length;
      continue;
    }
    const start = i;
    let lines = 0;
    let closed = false;
    while (i < metrics.length) {
      const m = metrics[i++]!;
      lines += seriesLines(m);
      if (lines >= MAX_LINES || endsRun(m)) {
        closed = true;
        break;
      }
    }
    out.push(create(metrics.slice(start, i), closed));
  }
  return out;
}
