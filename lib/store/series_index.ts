/**
 * The series index of one family name across groups: which groups own a
 * family of this name, and which group owns each series (by label identity).
 * It answers every cross-group question of the consistency check in time
 * proportional to the push, not to the store. It also holds the family's
 * merged order (`merged_view.ts`).
 *
 * @module
 */

import type { LabelPair, Metric, MetricType } from "@lib/model/metric.ts";
import { labelsHash, pairsKey, sameMerged } from "@lib/store/label_sets.ts";
import type { MergedFamily } from "@lib/store/merged_view.ts";
import { blockHash, blockLabels, blockSet, type SeriesBlock } from "@lib/store/series_block.ts";

/**
 * Owners of the series with one identity hash: the owning group key when one
 * identity has this hash (the common case), or, after a genuine hash
 * collision, series identity ({@linkcode seriesId}) → owning group key.
 */
type SeriesSlot = string | Map<string, string>;

/** Index entry of one family name across groups. */
export interface FamilyEntry {
  /** The family name (the index key). */
  readonly name: string;
  /** The family's type (its first owner's). */
  type: MetricType;
  /**
   * Some owner's type differs from `type`. Pushes never allow this; only a restored snapshot that
   * was not consistent can. The type is then re-derived when an owner leaves.
   */
  mixedTypes: boolean;
  /** The help of the family that created the entry. */
  readonly help: string | undefined;
  /** group key → the group's family of this name. */
  readonly owners: Map<string, SeriesBlock>;
  /** The smallest key of `owners` (undefined: to be found again). */
  firstKey: string | undefined;
  /**
   * {@linkcode seriesHash} of a series' labels → its owner(s). Emulates a map
   * series identity → owning group key exactly (see {@linkcode SeriesSlot}).
   * `undefined` after a restore until first needed: {@linkcode seriesOf} then
   * builds it from `owners`, as indexing them in order would have.
   */
  series: Map<number, SeriesSlot> | undefined;
  /**
   * Every owner's rows in merged order as of the last read: row `k` is row
   * `rows[k]` of `blocks[k]`. Never mutated (published by `merged`).
   */
  blocks: readonly SeriesBlock[];
  /** See `blocks`. */
  rows: Int32Array;
  /** Blocks indexed since the last read, not in `blocks` yet. */
  readonly added: Set<SeriesBlock>;
  /** Blocks unindexed since the last read, still in `blocks`. */
  readonly removed: Set<SeriesBlock>;
  /** Rows of `added` and `removed`. */
  pendingRows: number;
  /** The merged view, rebuilt lazily after a change. */
  merged: MergedFamily | undefined;
}

/**
 * A new, empty index entry for `name`, typed and helped after its first family.
 * With `deferSeries` (a restore) its series map is left to {@linkcode seriesOf}.
 */
export function newFamilyEntry(
  name: string,
  type: MetricType,
  help: string | undefined,
  deferSeries = false,
): FamilyEntry {
  return {
    name,
    type,
    mixedTypes: false,
    help,
    owners: new Map(),
    firstKey: undefined,
    series: deferSeries ? undefined : new Map(),
    blocks: [],
    rows: new Int32Array(0),
    added: new Set(),
    removed: new Set(),
    pendingRows: 0,
    merged: undefined,
  };
}

/** Series identity within a family: the sorted label pairs, length-prefixed so no two label sets collide. */
export function seriesId(labels: readonly LabelPair[]): string {
  return pairsKey(labels);
}

/**
 * A 31-bit hash of a series' labels (a V8 small integer, so a map keyed by it
 * stores no string and no boxed number per series): `label_sets.ts`'s
 * {@linkcode labelsHash} halved. Equal label lists hash equally, whether
 * stored or pushed; unequal ones may collide and are told apart by comparing
 * the labels. Exported for tests (to construct collisions).
 *
 * @param labels The series' sorted label pairs.
 * @returns An integer in [-2^30, 2^30).
 */
export function seriesHash(labels: readonly LabelPair[]): number {
  return labelsHash(labels) >> 1;
}

/** {@linkcode seriesHash} of row `i` of a block. */
function rowHash(b: SeriesBlock, i: number): number {
  return blockHash(b, i) >> 1;
}

/** Whether row `i` of `b` has exactly these labels. */
function rowHasLabels(b: SeriesBlock, i: number, labels: readonly LabelPair[]): boolean {
  return sameMerged(b.part.pairs, blockSet(b, i).pairs, labels);
}

/** Blocks up to this size are searched linearly for a series; larger ones through a set of ids. */
const SCAN_LIMIT = 16;

/**
 * Whether `block` holds a row with these labels. `ids` caches the series
 * identities of large blocks for the duration of one check, so many
 * duplicates against one large block cost one pass over it, not one each.
 */
function holdsSeries(
  block: SeriesBlock | undefined,
  labels: readonly LabelPair[],
  ids: Map<SeriesBlock, Set<string>>,
): boolean {
  if (block === undefined) return false;
  const n = block.size;
  if (n <= SCAN_LIMIT) {
    for (let i = 0; i < n; i++) if (rowHasLabels(block, i, labels)) return true;
    return false;
  }
  let set = ids.get(block);
  if (set === undefined) {
    set = new Set();
    for (let i = 0; i < n; i++) set.add(seriesId(blockLabels(block, i)));
    ids.set(block, set);
  }
  return set.has(seriesId(labels));
}

/** The first row of `block` whose labels hash to `hash`, if any. */
function firstWithHash(block: SeriesBlock | undefined, hash: number): number {
  if (block === undefined) return -1;
  for (let i = 0; i < block.size; i++) if (rowHash(block, i) === hash) return i;
  return -1;
}

/**
 * The owning group key of the series with `m`'s labels (`hash` is their
 * {@linkcode seriesHash}), as seen from group `key`: when the only candidate
 * is `key` itself the identity need not be verified (either way the series
 * does not belong to another group). `ids` is {@linkcode holdsSeries}' cache.
 */
export function seriesOwner(
  entry: FamilyEntry | undefined,
  m: Metric,
  hash: number,
  key: string,
  ids: Map<SeriesBlock, Set<string>>,
): string | undefined {
  const slot = entry === undefined ? undefined : seriesOf(entry).get(hash);
  if (slot === undefined) return undefined;
  if (typeof slot !== "string") return slot.get(seriesId(m.label));
  if (slot === key) return key;
  return holdsSeries((entry as FamilyEntry).owners.get(slot), m.label, ids) ? slot : undefined;
}

/**
 * Records that group `key` holds row `i` of `b` (later writers of an identity
 * win, as `Map.set`). `b` must already be `key`'s owner entry, and the
 * series map built ({@linkcode seriesOf}).
 */
export function indexRow(entry: FamilyEntry, b: SeriesBlock, i: number, key: string): void {
  const series = entry.series!;
  const hash = rowHash(b, i);
  const slot = series.get(hash);
  if (slot === undefined) {
    series.set(hash, key);
  } else if (typeof slot !== "string") {
    slot.set(seriesId(blockLabels(b, i)), key);
  } else {
    // A string slot holds one identity, owned by `slot`'s indexed block.
    const holder = entry.owners.get(slot);
    const held = firstWithHash(holder, hash);
    if (held === -1 || rowHasLabels(b, i, blockLabels(holder!, held))) {
      series.set(hash, key);
    } else {
      series.set(
        hash,
        new Map([[seriesId(blockLabels(holder!, held)), slot], [seriesId(blockLabels(b, i)), key]]),
      );
    }
  }
}

/**
 * The entry's series map, built first when a restore deferred it: every
 * owner's rows indexed in the owners' order, which is the order a restore adds
 * them in, so the map is the one indexing them one by one would have made.
 * Must be called before `owners` changes after the restore.
 *
 * @param entry The index entry.
 * @returns Its series map.
 */
export function seriesOf(entry: FamilyEntry): Map<number, SeriesSlot> {
  if (entry.series !== undefined) return entry.series;
  entry.series = new Map();
  for (const [key, b] of entry.owners) {
    for (let i = 0, n = b.size; i < n; i++) indexRow(entry, b, i, key);
  }
  return entry.series;
}

/**
 * Forgets that group `key` holds row `i` of `b`, unless another group took the identity over
 * (the series map built: {@linkcode seriesOf}).
 */
export function unindexRow(entry: FamilyEntry, b: SeriesBlock, i: number, key: string): void {
  const series = entry.series!;
  const hash = rowHash(b, i);
  const slot = series.get(hash);
  if (slot === key) {
    series.delete(hash);
  } else if (slot !== undefined && typeof slot !== "string") {
    const id = seriesId(blockLabels(b, i));
    if (slot.get(id) === key) slot.delete(id);
    if (slot.size === 0) series.delete(hash);
  }
}
