/**
 * The stored form of one family of one group: a {@linkcode SeriesBlock}, its
 * series as flat data instead of a `Metric` object (with a label array, pair
 * objects, a value object and a boxed number) per series.
 *
 * A block holds, for row `i` (one `Metric` of the family):
 *
 * - its labels: the group's pairs ({@linkcode GroupPart}) merged with a pooled
 *   {@linkcode LabelSet} of its own pairs (`label_sets.ts`);
 * - its value(s): a pooled {@linkcode Shape} says which value field the
 *   series has and what is fixed (a summary's quantile ranks, a histogram's
 *   bucket bounds), and the block's flat `values` array holds the numbers
 *   (a gauge its value; a summary its count, sum and quantile values; a
 *   classic histogram its count, sum and cumulative bucket counts);
 * - anything else (timestamps, exemplars, created timestamps, float counts,
 *   native histograms, absent values) keeps its whole `Metric` ("rich" rows).
 *
 * The head (name, help, type, unit) is pooled too. A block is immutable once
 * built; `Metric` objects are materialised on demand ({@linkcode blockMetric},
 * {@linkcode SeriesBlock.family}), new ones on every call. Row `i` has the
 * series id {@linkcode SeriesBlock.id}, a number no other stored series ever had in this
 * process: a series keeps its id while it is unchanged, which is what the
 * scrape cache keys on. (The id is kept out of the block's fields, so two
 * stores that applied the same writes hold blocks that compare equal.)
 *
 * @module
 */

import {
  classicHistogram,
  type Histogram,
  type LabelPair,
  type Metric,
  type MetricFamily,
  type MetricType,
  type Quantile,
  sampleLineCount,
} from "@lib/model/metric.ts";
import {
  EMPTY_PART,
  finishHash,
  type GroupPart,
  type LabelSet,
  mergeLabels,
  newLabelSetPool,
  ownPairs,
  pooledLabelSet,
} from "@lib/store/label_sets.ts";
import { type HashPool, Pool } from "@lib/store/pool.ts";
import type { StoredFamily } from "@lib/store/types.ts";

/** A family apart from its series, shared by every stored family with the same. */
export interface FamilyHead {
  /** The family name. */
  readonly name: string;
  /** Its help, when it has one. */
  readonly help: string | undefined;
  /** Its type. */
  readonly type: MetricType;
  /** Its unit, when it has one. */
  readonly unit: string | undefined;
}

/** The pool key of a head. */
export function headKey(h: FamilyHead): string {
  const opt = (s: string | undefined) => (s === undefined ? "-" : `${s.length}:${s}`);
  return `${h.type}:${h.name.length}:${h.name}${opt(h.help)}${opt(h.unit)}`;
}

/** What a row's numbers are. */
export const ShapeKind = { VALUE: 0, SUMMARY: 1, HISTOGRAM: 2, RICH: 3 } as const;
/** One of {@linkcode ShapeKind}. */
export type ShapeKind = typeof ShapeKind[keyof typeof ShapeKind];

/** The fixed part of a row's value, shared by every row with the same. */
export interface Shape {
  /** What the row's numbers are. */
  readonly kind: ShapeKind;
  /** For {@linkcode ShapeKind.VALUE}: the field holding the value. */
  readonly field: "gauge" | "counter" | "untyped" | "";
  /** A summary's quantile ranks, a histogram's bucket upper bounds (else empty). */
  readonly bounds: readonly number[];
  /** Numbers per row in the block's `values`. */
  readonly width: number;
  /** Sample lines a row renders in the text format (rich rows: see {@linkcode blockLines}). */
  readonly lines: number;
}

function valueShape(field: "gauge" | "counter" | "untyped"): Shape {
  return Object.freeze({ kind: ShapeKind.VALUE, field, bounds: [], width: 1, lines: 1 });
}

/** A gauge with its value. */
export const GAUGE_SHAPE: Shape = valueShape("gauge");
/** A counter with its value and nothing else. */
export const COUNTER_SHAPE: Shape = valueShape("counter");
/** An untyped value. */
export const UNTYPED_SHAPE: Shape = valueShape("untyped");
/** A row that keeps its whole `Metric`. */
export const RICH_SHAPE: Shape = Object.freeze({
  kind: ShapeKind.RICH,
  field: "",
  bounds: [],
  width: 0,
  lines: 1,
});

/** The key of a number that tells -0 from 0 (and every NaN is one). */
function numberKey(n: number): string {
  return Object.is(n, -0) ? "-0" : String(n);
}

/** The pool key of a summary or histogram shape. */
export function shapeKey(s: Shape): string {
  return `${s.kind}:${s.field}:${s.bounds.map(numberKey).join(",")}`;
}

/** A summary or histogram shape (not pooled). */
export function boundedShape(kind: 1 | 2, bounds: readonly number[]): Shape {
  const lines = bounds.length + (kind === ShapeKind.SUMMARY ? 2 : 3);
  return { kind, field: "", bounds, width: bounds.length + 2, lines };
}

/** The pools a store keeps for its blocks. */
export interface BlockPools {
  /** Family heads. */
  readonly heads: Pool<FamilyHead>;
  /** Label sets. */
  readonly sets: HashPool<LabelSet>;
  /** Summary and histogram shapes. */
  readonly shapes: Pool<Shape>;
}

/**
 * Sweeps the pools that are due (each sweep walks every stored block), keeping what `blocks` use.
 *
 * @param pools The store's pools.
 * @param blocks Every stored block (called once per pool swept).
 */
export function sweepPools(pools: BlockPools, blocks: () => Iterable<SeriesBlock>): void {
  if (pools.sets.shouldSweep) {
    pools.sets.sweep((function* () {
      for (const b of blocks()) for (const set of blockSets(b)) if (set.pairs.length > 0) yield set;
    })());
  }
  if (pools.shapes.shouldSweep) {
    pools.shapes.sweep((function* () {
      for (const b of blocks()) for (const s of blockShapes(b)) if (s.bounds.length > 0) yield s;
    })());
  }
  if (pools.heads.shouldSweep) {
    pools.heads.sweep((function* () {
      for (const b of blocks()) yield b.head;
    })());
  }
}

/** Counts everything pooled as live (after a restore pooled exactly what the blocks use). */
export function markPoolsSwept(pools: BlockPools): void {
  pools.heads.markSwept();
  pools.sets.markSwept();
  pools.shapes.markSwept();
}

/** New, empty pools. */
export function newPools(): BlockPools {
  return {
    heads: new Pool(headKey),
    sets: newLabelSetPool(),
    shapes: new Pool(shapeKey),
  };
}

/** What only unusual blocks have. */
export interface BlockExtra {
  /** Where each row's numbers start in `values` (when rows have different shapes). */
  readonly offsets: readonly number[] | undefined;
  /** The whole `Metric` of each rich row (undefined for the others). */
  readonly rich: readonly (Metric | undefined)[] | undefined;
}

let nextSeriesId = 1;

/**
 * Reserves `n` consecutive series ids, never handed out before in this process.
 *
 * @param n How many.
 * @returns The first one.
 */
export function reserveSeriesIds(n: number): number {
  const base = nextSeriesId;
  nextSeriesId += n;
  return base;
}

/** One family of one group, stored compactly; immutable. */
export class SeriesBlock implements StoredFamily {
  /** Name, help, type and unit. */
  readonly head: FamilyHead;
  /** When the push that wrote the family was received (Unix epoch ms). */
  readonly lastPushMs: number;
  /** The group's pairs the rows' labels are merged with ({@linkcode EMPTY_PART}: none). */
  readonly part: GroupPart;
  /** The series id of row 0 (private, so that equal blocks of two stores compare equal). */
  readonly #base: number;
  /** Each row's own pairs (one set, not an array, when there is exactly one row). */
  readonly sets: LabelSet | readonly LabelSet[];
  /** Each row's shape (one shape, not an array, when all rows have the same). */
  readonly shapes: Shape | readonly Shape[];
  /** The rows' numbers, flat (one number, not an array, for a single one-number row). */
  readonly values: number | readonly number[];
  /** Offsets and rich rows, when there are any. */
  readonly extra: BlockExtra | undefined;

  /** Makes a block; see the fields. */
  constructor(
    head: FamilyHead,
    lastPushMs: number,
    part: GroupPart,
    base: number,
    sets: LabelSet | readonly LabelSet[],
    shapes: Shape | readonly Shape[],
    values: number | readonly number[],
    extra: BlockExtra | undefined,
  ) {
    this.head = head;
    this.lastPushMs = lastPushMs;
    this.part = part;
    this.#base = base;
    this.sets = sets;
    this.shapes = shapes;
    this.values = values;
    this.extra = extra;
  }

  /** The series id of row `i`. */
  id(i: number): number {
    return this.#base + i;
  }

  /** Number of rows (series). */
  get size(): number {
    return Array.isArray(this.sets) ? this.sets.length : 1;
  }

  /** The family as a new `MetricFamily` (new objects on every call). */
  get family(): MetricFamily {
    const h = this.head;
    const family: MetricFamily = { name: h.name, type: h.type, metric: blockMetrics(this) };
    if (h.help !== undefined) family.help = h.help;
    if (h.unit !== undefined) family.unit = h.unit;
    return family;
  }
}

/** Row `i`'s own label set. */
export function blockSet(b: SeriesBlock, i: number): LabelSet {
  const sets = b.sets;
  return Array.isArray(sets) ? sets[i] as LabelSet : sets as LabelSet;
}

/** Row `i`'s shape. */
export function blockShape(b: SeriesBlock, i: number): Shape {
  const shapes = b.shapes;
  return Array.isArray(shapes) ? shapes[i] as Shape : shapes as Shape;
}

/** Where row `i`'s numbers start in `values`. */
function blockOffset(b: SeriesBlock, i: number): number {
  const offsets = b.extra?.offsets;
  return offsets !== undefined ? offsets[i] as number : i * (b.shapes as Shape).width;
}

function valueAt(b: SeriesBlock, k: number): number {
  const v = b.values;
  return typeof v === "number" ? v : v[k] as number;
}

/** The finalised hash of row `i`'s labels (`label_sets.ts` {@linkcode finishHash}). */
export function blockHash(b: SeriesBlock, i: number): number {
  return finishHash((b.part.hash + blockSet(b, i).hash) | 0);
}

/** The sample lines row `i` renders in the text format (1 for a counter, gauge or untyped). */
export function blockLines(b: SeriesBlock, i: number): number {
  const shape = blockShape(b, i);
  if (shape.kind !== ShapeKind.RICH) return shape.lines;
  return sampleLineCount(b.extra!.rich![i]!);
}

/** The gauge value of row 0 (a synthetic gauge's value), if it has one. */
export function blockGaugeValue(b: SeriesBlock): number | undefined {
  if (b.size === 0) return undefined;
  const shape = blockShape(b, 0);
  if (shape.kind === ShapeKind.VALUE) {
    return shape.field === "gauge" ? valueAt(b, blockOffset(b, 0)) : undefined;
  }
  return shape.kind === ShapeKind.RICH ? b.extra!.rich![0]!.gauge?.value : undefined;
}

/** Row `i`'s labels as a new array (sorted by name; the pair objects are shared). */
export function blockLabels(b: SeriesBlock, i: number): LabelPair[] {
  return mergeLabels(b.part.pairs, blockSet(b, i).pairs);
}

/** Row `i` as a new `Metric` (nested objects of rich rows are shared, never to be modified). */
export function blockMetric(b: SeriesBlock, i: number): Metric {
  const label = blockLabels(b, i);
  const shape = blockShape(b, i);
  switch (shape.kind) {
    case ShapeKind.VALUE: {
      const value = valueAt(b, blockOffset(b, i));
      if (shape.field === "gauge") return { label, gauge: { value } };
      if (shape.field === "counter") return { label, counter: { value } };
      return { label, untyped: { value } };
    }
    case ShapeKind.SUMMARY: {
      const at = blockOffset(b, i);
      const quantile: Quantile[] = new Array(shape.bounds.length);
      for (let k = 0; k < quantile.length; k++) {
        quantile[k] = { quantile: shape.bounds[k], value: valueAt(b, at + 2 + k) };
      }
      return {
        label,
        summary: { sampleCount: valueAt(b, at), sampleSum: valueAt(b, at + 1), quantile },
      };
    }
    case ShapeKind.HISTOGRAM: {
      const at = blockOffset(b, i);
      const bucket: Histogram["bucket"] = new Array(shape.bounds.length);
      for (let k = 0; k < bucket.length; k++) {
        bucket[k] = { upperBound: shape.bounds[k], cumulativeCount: valueAt(b, at + 2 + k) };
      }
      return { label, histogram: classicHistogram(valueAt(b, at), valueAt(b, at + 1), bucket) };
    }
    default:
      return { ...b.extra!.rich![i]!, label };
  }
}

/** Every row as new `Metric` objects. */
export function blockMetrics(b: SeriesBlock): Metric[] {
  const out: Metric[] = new Array(b.size);
  for (let i = 0; i < out.length; i++) out[i] = blockMetric(b, i);
  return out;
}

// ---------------------------------------------------------------------------
// Encoding

/** The one value field `m` has, if it has exactly one and no timestamp. */
function onlyField(m: Metric): "gauge" | "counter" | "untyped" | "summary" | "histogram" | "" {
  if (m.timestampMs !== undefined) return "";
  let field: "gauge" | "counter" | "untyped" | "summary" | "histogram" | "" = "";
  let n = 0;
  if (m.gauge !== undefined) (field = "gauge"), n++;
  if (m.counter !== undefined) (field = "counter"), n++;
  if (m.untyped !== undefined) (field = "untyped"), n++;
  if (m.summary !== undefined) (field = "summary"), n++;
  if (m.histogram !== undefined) (field = "histogram"), n++;
  return n === 1 ? field : "";
}

/** Whether a histogram is classic and holds nothing but counts, sum and buckets. */
function plainHistogram(h: Histogram): boolean {
  if (h.sampleCount === undefined || h.sampleSum === undefined) return false;
  if (
    h.sampleCountFloat !== undefined || h.createdTimestamp !== undefined ||
    h.schema !== undefined || h.zeroThreshold !== undefined || h.zeroCount !== undefined ||
    h.zeroCountFloat !== undefined
  ) return false;
  if (
    h.negativeSpan.length + h.negativeDelta.length + h.negativeCount.length +
        h.positiveSpan.length + h.positiveDelta.length + h.positiveCount.length +
        h.exemplars.length > 0
  ) return false;
  for (const bk of h.bucket) {
    if (bk.cumulativeCount === undefined || bk.upperBound === undefined) return false;
    if (bk.cumulativeCountFloat !== undefined || bk.exemplar !== undefined) return false;
  }
  return true;
}

/** Row `m`'s shape, pooled, and its numbers appended to `out` (none for a rich row). */
function encodeValue(m: Metric, pools: BlockPools, out: number[]): Shape {
  switch (onlyField(m)) {
    case "gauge": {
      const v = m.gauge!.value;
      if (v === undefined) return RICH_SHAPE;
      out.push(v);
      return GAUGE_SHAPE;
    }
    case "counter": {
      const c = m.counter!;
      if (c.value === undefined || c.exemplar !== undefined || c.createdTimestamp !== undefined) {
        return RICH_SHAPE;
      }
      out.push(c.value);
      return COUNTER_SHAPE;
    }
    case "untyped": {
      const v = m.untyped!.value;
      if (v === undefined) return RICH_SHAPE;
      out.push(v);
      return UNTYPED_SHAPE;
    }
    case "summary": {
      const s = m.summary!;
      if (s.sampleCount === undefined || s.sampleSum === undefined) return RICH_SHAPE;
      if (s.createdTimestamp !== undefined) return RICH_SHAPE;
      const ranks: number[] = new Array(s.quantile.length);
      for (let k = 0; k < ranks.length; k++) {
        const q = s.quantile[k]!;
        if (q.quantile === undefined || q.value === undefined) return RICH_SHAPE;
        ranks[k] = q.quantile;
      }
      out.push(s.sampleCount, s.sampleSum);
      for (const q of s.quantile) out.push(q.value!);
      const shape = boundedShape(ShapeKind.SUMMARY, ranks);
      return pools.shapes.get(shapeKey(shape), () => shape);
    }
    case "histogram": {
      const h = m.histogram!;
      if (!plainHistogram(h)) return RICH_SHAPE;
      out.push(h.sampleCount!, h.sampleSum!);
      const bounds: number[] = new Array(h.bucket.length);
      for (let k = 0; k < bounds.length; k++) {
        const bk = h.bucket[k]!;
        bounds[k] = bk.upperBound!;
        out.push(bk.cumulativeCount!);
      }
      const shape = boundedShape(ShapeKind.HISTOGRAM, bounds);
      return pools.shapes.get(shapeKey(shape), () => shape);
    }
    default:
      return RICH_SHAPE;
  }
}

/** The pooled head of a family. */
export function headOf(family: MetricFamily, pools: BlockPools): FamilyHead {
  const head: FamilyHead = {
    name: family.name,
    help: family.help,
    type: family.type,
    unit: family.unit,
  };
  return pools.heads.get(headKey(head), () => head);
}

/**
 * Builds the block of a stored family: `family` as the store holds it
 * (sanitised: labels sorted, grouping pairs applied), `part` its group's pairs.
 * The family's objects are not kept, except the `Metric` of rich rows.
 *
 * @param family The family.
 * @param part The group's pairs.
 * @param lastPushMs When it was pushed.
 * @param pools Where heads, label sets and shapes are pooled.
 * @returns The block.
 */
export function encodeBlock(
  family: MetricFamily,
  part: GroupPart,
  lastPushMs: number,
  pools: BlockPools,
): SeriesBlock {
  const metrics = family.metric;
  const n = metrics.length;
  // Every row's own pairs, or the whole label lists when some row does not fit the group.
  let own: (readonly LabelPair[])[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const pairs = ownPairs(metrics[i]!.label, part.pairs);
    if (pairs === undefined) {
      part = EMPTY_PART;
      own = metrics.map((m) => m.label.slice());
      break;
    }
    own[i] = pairs;
  }
  const sets: LabelSet[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const pairs = own[i]!;
    sets[i] = pooledLabelSet(pools.sets, pairs);
  }
  const numbers: number[] = [];
  const shapes: Shape[] = new Array(n);
  let rich: (Metric | undefined)[] | undefined;
  for (let i = 0; i < n; i++) {
    const m = metrics[i]!;
    const shape = encodeValue(m, pools, numbers);
    shapes[i] = shape;
    if (shape.kind === ShapeKind.RICH) {
      rich ??= new Array(n).fill(undefined);
      const { label: _, ...rest } = m;
      rich[i] = rest as Metric;
    }
  }
  // A copy of exactly its length: an array grown by push keeps spare capacity.
  const exact = numbers.length === 1 ? numbers : numbers.slice();
  return buildBlock(headOf(family, pools), lastPushMs, part, sets, shapes, exact, rich);
}

/**
 * Makes a block of rows given as arrays (one entry per row; `numbers` flat,
 * each row's in order; `rich` the whole `Metric` of rich rows, labels left
 * out), choosing its compact fields.
 *
 * @param head The family's head.
 * @param lastPushMs When it was pushed.
 * @param part The group's pairs ({@linkcode EMPTY_PART}: the sets hold the whole label lists).
 * @param sets Each row's own label set.
 * @param shapes Each row's shape, or the one shape of every row.
 * @param numbers The rows' numbers; kept by the block (not to be modified afterwards, and
 * best of exactly its length).
 * @param rich Each rich row's `Metric`, or `undefined` when there is none.
 * @returns The block, with new series ids.
 */
export function buildBlock(
  head: FamilyHead,
  lastPushMs: number,
  part: GroupPart,
  sets: LabelSet[],
  shapes: Shape[] | Shape,
  numbers: number[],
  rich: (Metric | undefined)[] | undefined,
): SeriesBlock {
  const n = sets.length;
  let uniform = true;
  let offsets: number[] | undefined;
  if (Array.isArray(shapes)) {
    for (let i = 1; i < n && uniform; i++) if (shapes[i] !== shapes[0]) uniform = false;
    if (!uniform) {
      offsets = new Array(n);
      for (let i = 0, at = 0; i < n; i++) {
        offsets[i] = at;
        at += shapes[i]!.width;
      }
    }
  }
  const values = n === 1 && numbers.length === 1 ? numbers[0]! : numbers;
  const extra: BlockExtra | undefined = offsets === undefined && rich === undefined
    ? undefined
    : { offsets, rich };
  return new SeriesBlock(
    head,
    lastPushMs,
    part,
    reserveSeriesIds(n),
    n === 1 ? sets[0]! : sets,
    !Array.isArray(shapes) ? shapes : uniform && n > 0 ? shapes[0]! : shapes,
    values,
    extra,
  );
}

/** Every label set and shape a block uses (for a pool sweep). */
export function* blockSets(b: SeriesBlock): Iterable<LabelSet> {
  if (Array.isArray(b.sets)) yield* b.sets as readonly LabelSet[];
  else yield b.sets as LabelSet;
}

/** Every shape a block uses (for a pool sweep). */
export function* blockShapes(b: SeriesBlock): Iterable<Shape> {
  if (Array.isArray(b.shapes)) yield* b.shapes as readonly Shape[];
  else yield b.shapes as Shape;
}

/** Whether a stored family is a block (else a plain `{ family, lastPushMs }`). */
export function isSeriesBlock(f: StoredFamily): f is SeriesBlock {
  return f instanceof SeriesBlock;
}
