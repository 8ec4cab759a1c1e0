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
 * Reuse relies on what the store promises (`lib/store/store.ts`): a stored
 * series keeps its id while a write leaves it unchanged, and no other series
 * ever gets that id ({@linkcode SeriesSource.seriesId}). A previous run is
 * reused when the family holds its exact ids, in order, at the current
 * position. Label hashes are computed only for series not in a reused run.
 *
 * @module
 */

import { type Metric, sampleLineCount } from "@lib/model/metric.ts";
import { labelsHash } from "@lib/store/label_sets.ts";

/** Average sample lines per run. */
export const TARGET_LINES = 256;
/** A run is cut after this many sample lines even without a boundary series. */
export const MAX_LINES = 4 * TARGET_LINES;

/** A family's series as runs are cut from them (the store's merged families are such sources). */
export interface SeriesSource {
  /** Number of series. */
  readonly size: number;
  /** Series `i`'s id: equal ids mean the same series, unchanged. */
  seriesId(i: number): number;
  /** An unsigned 32-bit hash of series `i`'s labels. */
  labelHash(i: number): number;
  /** The sample lines series `i` renders (at least 1). */
  lines(i: number): number;
}

/** A run of consecutive series of one family. */
export interface SeriesRun {
  /** The ids of its series, in order. */
  readonly ids: Float64Array;
  /** Where it starts in the family, as of the last {@linkcode resegment}. */
  start: number;
  /** Whether the run ends at a boundary series or at the cap (false: it ended with the family). */
  readonly closed: boolean;
}

/**
 * A 32-bit hash of a series' label names and values (its identity in the
 * family, independent of its value), the one the store keeps for its series
 * (`label_sets.ts`: a sum of pair hashes, finalised so that every bit depends
 * on every character).
 *
 * @param m The series.
 * @returns An unsigned 32-bit hash.
 */
export function labelHash(m: Metric): number {
  return labelsHash(m.label);
}

const HASH_PER_LINE = 2 ** 32 / TARGET_LINES;

/**
 * Whether a run ends after a series of `lines` sample lines whose labels hash
 * to `hash`: with probability lines/{@linkcode TARGET_LINES} over label sets.
 *
 * @param hash The series' {@linkcode labelHash}.
 * @param lines Its sample line count (`sampleLineCount`).
 * @returns True for a boundary series.
 */
export function endsRunAt(hash: number, lines: number): boolean {
  return hash < lines * HASH_PER_LINE;
}

/**
 * Whether a run ends after this series, decided by its labels alone.
 *
 * @param m The series.
 * @returns True for a boundary series.
 */
export function endsRun(m: Metric): boolean {
  return endsRunAt(labelHash(m), sampleLineCount(m));
}

/** Ids of `Metric` objects for {@linkcode metricSource}: one per object. */
const objectIds = new WeakMap<Metric, number>();
let nextObjectId = 2 ** 52;

/**
 * A source over `Metric` objects, where an object is a series and keeps its
 * id (for tests, and for series that are not stored).
 *
 * @param metrics The series.
 * @returns The source.
 */
export function metricSource(metrics: readonly Metric[]): SeriesSource {
  return {
    size: metrics.length,
    seriesId(i: number): number {
      const m = metrics[i]!;
      let id = objectIds.get(m);
      if (id === undefined) objectIds.set(m, id = nextObjectId++);
      return id;
    },
    labelHash: (i) => labelHash(metrics[i]!),
    lines: (i) => sampleLineCount(metrics[i]!),
  };
}

/** Whether `run` sits at position `at` of `source` with the very same ids and may be kept. */
function fits(run: SeriesRun, source: SeriesSource, at: number): boolean {
  const mine = run.ids;
  const end = at + mine.length;
  if (end > source.size) return false;
  // A run that ended with the family is kept only while it still does: otherwise
  // series appended after it would form ever smaller runs.
  if (!run.closed && end !== source.size) return false;
  for (let k = 1; k < mine.length; k++) if (mine[k] !== source.seriesId(at + k)) return false;
  return true;
}

/**
 * Cuts `source` into runs, keeping every run of `previous` that is still
 * there unchanged (its `start` updated) and creating the others with `create`.
 *
 * @param previous The runs of the family's previous series (may be empty).
 * @param source The family's series now.
 * @param create Makes a new run (for example with empty caches) of the series
 * `start` to `start + ids.length`.
 * @returns The runs covering `source` in order: kept ones are the objects
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
 * const create = (ids: Float64Array, start: number, closed: boolean) => ({ ids, start, closed });
 * const before = resegment([], metricSource(metrics), create);
 * // Drop one series: every run but the one holding it (or two, if it ended a run) is kept.
 * const after = resegment(before, metricSource(metrics.filter((_, i) => i !== 2500)), create);
 * assert(after.filter((r) => !before.includes(r)).length <= 2);
 * ```
 */
export function resegment<R extends SeriesRun>(
  previous: readonly R[],
  source: SeriesSource,
  create: (ids: Float64Array, start: number, closed: boolean) => R,
): R[] {
  const byFirst = new Map<number, R>();
  for (const run of previous) if (run.ids.length > 0) byFirst.set(run.ids[0]!, run);
  const out: R[] = [];
  const n = source.size;
  let i = 0;
  while (i < n) {
    const kept = byFirst.get(source.seriesId(i));
    if (kept !== undefined && fits(kept, source, i)) {
      kept.start = i;
      out.push(kept);
      i += kept.ids.length;
      continue;
    }
    const start = i;
    let lines = 0;
    let closed = false;
    while (i < n) {
      const l = source.lines(i);
      lines += l;
      const boundary = endsRunAt(source.labelHash(i), l);
      i++;
      if (lines >= MAX_LINES || boundary) {
        closed = true;
        break;
      }
    }
    const ids = new Float64Array(i - start);
    for (let k = start; k < i; k++) ids[k - start] = source.seriesId(k);
    out.push(create(ids, start, closed));
  }
  return out;
}
