/**
 * The merged view of one family across groups: every owner's series in
 * client_golang's order, kept sorted incrementally. A write only records
 * which blocks came and went; the next read places their rows by binary
 * search and copies the rest once.
 *
 * @module
 */

import {
  type Metric,
  type MetricFamily,
  type MetricType,
  sampleLineCount,
} from "@lib/model/metric.ts";
import { compareMergedNames, compareMergedValues, labelsHash } from "@lib/store/label_sets.ts";
import {
  blockHash,
  blockLines,
  blockMetric,
  blockSet,
  blockShape,
  reserveSeriesIds,
  type SeriesBlock,
  ShapeKind,
} from "@lib/store/series_block.ts";
import type { FamilyEntry } from "@lib/store/series_index.ts";
import type { MergedSeries, OwnFamily } from "@lib/store/store.ts";

/** client_golang's metric order: fewer labels first, then label values position by position. */
export function compareMetrics(a: Metric, b: Metric): number {
  if (a.label.length !== b.label.length) return a.label.length - b.label.length;
  for (let i = 0; i < a.label.length; i++) {
    const va = (a.label[i] as { value: string }).value;
    const vb = (b.label[i] as { value: string }).value;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return compareTimestamps(a.timestampMs, b.timestampMs);
}

function compareTimestamps(ta: number | undefined, tb: number | undefined): number {
  if (ta === undefined) return tb === undefined ? 0 : 1;
  if (tb === undefined) return -1;
  return ta - tb;
}

/** The timestamp of row `r` of `b` (only rich rows have one). */
function rowTimestamp(b: SeriesBlock, r: number): number | undefined {
  return blockShape(b, r).kind === ShapeKind.RICH ? b.extra!.rich![r]!.timestampMs : undefined;
}

/**
 * {@linkcode compareMetrics} of two stored rows, made a total order on a
 * family's series: ties (same label values, other label names) are broken
 * by the label names.
 */
export function compareRows(ab: SeriesBlock, ar: number, bb: SeriesBlock, br: number): number {
  const ap = ab.part.pairs, as = blockSet(ab, ar).pairs;
  const bp = bb.part.pairs, bs = blockSet(bb, br).pairs;
  const c = compareMergedValues(ap, as, bp, bs);
  if (c !== 0) return c;
  const t = compareTimestamps(rowTimestamp(ab, ar), rowTimestamp(bb, br));
  if (t !== 0) return t;
  return compareMergedNames(ap, as, bp, bs);
}

/** A family merged across groups, as a scrape renders it; immutable. */
export class MergedFamily implements MergedSeries {
  /** The family name. */
  readonly name: string;
  /** See {@linkcode MergedSeries.help}. */
  readonly help: string | undefined;
  /** The family's type. */
  readonly type: MetricType;
  /** The unit of the group with the smallest grouping key, if any. */
  readonly unit: string | undefined;
  readonly #blocks: readonly SeriesBlock[];
  readonly #rows: Int32Array;

  /** The view of `blocks[k]`'s row `rows[k]`, k in order. */
  constructor(
    head: { name: string; help: string | undefined; type: MetricType; unit: string | undefined },
    blocks: readonly SeriesBlock[],
    rows: Int32Array,
  ) {
    this.name = head.name;
    this.help = head.help;
    this.type = head.type;
    this.unit = head.unit;
    this.#blocks = blocks;
    this.#rows = rows;
  }

  /** Number of series. */
  get size(): number {
    return this.#rows.length;
  }

  /** See {@linkcode MergedSeries.seriesId}. */
  seriesId(k: number): number {
    return this.#blocks[k]!.id(this.#rows[k]!);
  }

  /** See {@linkcode MergedSeries.labelHash}. */
  labelHash(k: number): number {
    return blockHash(this.#blocks[k]!, this.#rows[k]!);
  }

  /** See {@linkcode MergedSeries.lines}. */
  lines(k: number): number {
    return blockLines(this.#blocks[k]!, this.#rows[k]!);
  }

  /** See {@linkcode MergedSeries.series}. */
  series(start = 0, end = this.size): Metric[] {
    const out: Metric[] = new Array(Math.max(0, end - start));
    for (let k = start; k < end; k++) {
      out[k - start] = blockMetric(this.#blocks[k]!, this.#rows[k]!);
    }
    return out;
  }

  /** The head as a family without series. */
  head(): MetricFamily {
    const f: MetricFamily = { name: this.name, type: this.type, metric: [] };
    if (this.help !== undefined) f.help = this.help;
    if (this.unit !== undefined) f.unit = this.unit;
    return f;
  }
}

/** The first position from `lo` in `blocks`/`rows` whose row sorts at or after `(b, r)`. */
function lowerBound(
  blocks: readonly SeriesBlock[],
  rows: Int32Array,
  b: SeriesBlock,
  r: number,
  lo = 0,
): number {
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareRows(blocks[mid]!, rows[mid]!, b, r) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Positions of the rows of `removed` in the order, sorted, or `undefined`
 * when a row is not where the order says (then the caller filters linearly).
 */
function removedPositions(entry: FamilyEntry): Int32Array | undefined {
  const { blocks, rows } = entry;
  const out = new Int32Array(entry.pendingRows);
  let k = 0;
  for (const b of entry.removed) {
    for (let r = 0; r < b.size; r++) {
      let p = lowerBound(blocks, rows, b, r);
      // Equal rows (a restored store can hold duplicates) sit together: find this one.
      while (p < rows.length && !(blocks[p] === b && rows[p] === r)) {
        if (compareRows(blocks[p]!, rows[p]!, b, r) !== 0) return undefined;
        p++;
      }
      if (p === rows.length) return undefined;
      out[k++] = p;
    }
  }
  return out.subarray(0, k).sort();
}

/** log2, at least 1. */
function log2(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1)));
}

/**
 * Applies the changes since the last read to the entry's order, copying it
 * once: the rows of removed blocks are found and the rows of added ones
 * placed by binary search when there are few, by one linear pass otherwise.
 */
export function compact(entry: FamilyEntry): void {
  if (entry.added.size === 0 && entry.removed.size === 0) return;
  const blocks = entry.blocks, rows = entry.rows;
  const n = rows.length;
  let removedRows = 0;
  for (const b of entry.removed) removedRows += b.size;
  const drop = entry.removed.size === 0
    ? new Int32Array(0)
    : removedRows * log2(n) < n
    ? removedPositions(entry)
    : undefined;
  // The added rows, sorted, and where each goes in the old order (ties with a removed row,
  // which a re-pushed series has, are fine: that row goes).
  const ab: SeriesBlock[] = [];
  const ar: number[] = [];
  for (const b of entry.added) for (let r = 0; r < b.size; r++) ab.push(b), ar.push(r);
  const k = ab.length;
  const order = Array.from({ length: k }, (_, i) => i);
  order.sort((x, y) => compareRows(ab[x]!, ar[x]!, ab[y]!, ar[y]!));
  const at = new Int32Array(k);
  const binary = k * log2(n) < n;
  for (let j = 0, from = 0; j < k; j++) {
    const b = ab[order[j]!]!, r = ar[order[j]!]!;
    let stop: number;
    if (binary) stop = lowerBound(blocks, rows, b, r, from);
    else {
      stop = from;
      while (stop < n && compareRows(blocks[stop]!, rows[stop]!, b, r) < 0) stop++;
    }
    at[j] = from = stop;
  }
  const size = n - removedRows + k;
  const outBlocks: SeriesBlock[] = new Array(size);
  const outRows = new Int32Array(size);
  let o = 0, j = 0, d = 0;
  for (let i = 0; i <= n; i++) {
    while (j < k && at[j] === i) {
      outBlocks[o] = ab[order[j]!]!;
      outRows[o++] = ar[order[j++]!]!;
    }
    if (i === n) break;
    const b = blocks[i]!;
    if (drop !== undefined) {
      if (d < drop.length && drop[d] === i) {
        d++;
        continue;
      }
    } else if (entry.removed.has(b)) continue;
    outBlocks[o] = b;
    outRows[o++] = rows[i]!;
  }
  entry.blocks = outBlocks;
  entry.rows = outRows;
  entry.added.clear();
  entry.removed.clear();
  entry.pendingRows = 0;
}

/** Pending changes beyond this (and beyond the family's size) are applied at write time, so memory stays bounded without scrapes. */
const MAX_PENDING = 1024;

/** Whether an entry's pending changes should be applied now. */
export function pendingTooLarge(entry: FamilyEntry): boolean {
  return entry.pendingRows > entry.rows.length + MAX_PENDING;
}

/**
 * The merged family of an index entry, built after a change and kept until
 * the next one: series in order, the help and unit of the group with the
 * smallest grouping key (or `own`'s help for the gateway's own names).
 */
export function mergedFamilyOf(entry: FamilyEntry, own: OwnFamily | undefined): MergedFamily {
  if (entry.merged) return entry.merged;
  compact(entry);
  // The help and unit of the smallest grouping key: kept by the index, or one pass over the
  // owners when the smallest one left.
  if (entry.firstKey === undefined) {
    for (const k of entry.owners.keys()) {
      if (entry.firstKey === undefined || k < entry.firstKey) entry.firstKey = k;
    }
  }
  const first = entry.owners.get(entry.firstKey as string) as SeriesBlock;
  const help = own ? own.help : first.head.help;
  const head = { name: entry.name, help, type: entry.type, unit: first.head.unit };
  entry.merged = new MergedFamily(head, entry.blocks, entry.rows);
  return entry.merged;
}

/**
 * A family both pushed and exposed by the gateway itself: `merged`'s series
 * with `extra` (the gateway's own, new objects on every scrape) placed in
 * client_golang's order, each before the stored series it ties with, under
 * `head` (the gateway's name, help, type and unit). The extra series get new
 * ids on every call, so a scrape cache renders their runs again and keeps
 * the others.
 *
 * @param merged The store's merged family.
 * @param head The gateway's own family (its series are `extra`).
 * @param extra The gateway's own series.
 * @returns The combined family.
 */
export function withExtraSeries(
  merged: MergedSeries,
  head: MetricFamily,
  extra: readonly Metric[],
): MergedSeries {
  const mine = extra.slice().sort(compareMetrics);
  const probe = (p: number) => merged.series(p, p + 1)[0]!;
  // Position of each extra series in the combined order.
  const pos: number[] = [];
  let lo = 0;
  for (let j = 0; j < mine.length; j++) {
    let hi = merged.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareMetrics(probe(mid), mine[j]!) < 0) lo = mid + 1;
      else hi = mid;
    }
    pos.push(lo + j);
  }
  const base = reserveSeriesIds(mine.length);
  /** `[true, j]` for extra series j, `[false, i]` for stored series i. */
  const at = (c: number): [boolean, number] => {
    let before = 0;
    for (let j = 0; j < pos.length; j++) {
      if (pos[j] === c) return [true, j];
      if (pos[j]! < c) before++;
    }
    return [false, c - before];
  };
  const size = merged.size + mine.length;
  return {
    name: head.name,
    help: head.help,
    type: head.type,
    unit: head.unit,
    size,
    seriesId(c: number): number {
      const [own, i] = at(c);
      return own ? base + i : merged.seriesId(i);
    },
    labelHash(c: number): number {
      const [own, i] = at(c);
      return own ? labelsHash(mine[i]!.label) : merged.labelHash(i);
    },
    lines(c: number): number {
      const [own, i] = at(c);
      return own ? sampleLineCount(mine[i]!) : merged.lines(i);
    },
    series(start = 0, end = size): Metric[] {
      const out: Metric[] = [];
      let c = start;
      while (c < end) {
        const [own, i] = at(c);
        if (own) {
          out.push(mine[i]!);
          c++;
          continue;
        }
        // The stored series up to the next extra one (or `end`).
        let stop = end;
        for (const p of pos) if (p > c && p < stop) stop = p;
        for (const m of merged.series(i, i + stop - c)) out.push(m);
        c = stop;
      }
      return out;
    },
    head(): MetricFamily {
      const f: MetricFamily = { name: head.name, type: head.type, metric: [] };
      if (head.help !== undefined) f.help = head.help;
      if (head.unit !== undefined) f.unit = head.unit;
      return f;
    },
  };
}
