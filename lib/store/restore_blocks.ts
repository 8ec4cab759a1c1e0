/**
 * Restoring blocks into a store: the blocks a restored group brings (a
 * snapshot decoder's, another store's, or whole families) made the store's
 * own, with its pooled heads, label sets and shapes, without rebuilding what
 * already has the store's compact form.
 *
 * @module
 */

import type { LabelPair } from "@lib/model/metric.ts";
import { EMPTY_PART, type GroupPart, type LabelSet, pairsKey } from "@lib/store/label_sets.ts";
import type { ValuePool } from "@lib/store/pool.ts";
import {
  type BlockPools,
  encodeBlock,
  isSeriesBlock,
  SeriesBlock,
  type Shape,
  ShapeKind,
} from "@lib/store/series_block.ts";
import { PUSH_EXPIRY_TIME_METRIC, type StoredFamily } from "@lib/store/types.ts";

/**
 * The block with its head, label sets and shapes taken from `pools` (pooled
 * when new), and its group part `part` when its pairs are `part`'s: the block
 * itself when nothing changes. A block stored for other grouping pairs is
 * built again from its series.
 *
 * @param b A block built elsewhere (a snapshot decoder, another store).
 * @param part The pairs of the group it is restored into.
 * @param pools The store's pools.
 * @param seen What each object was already adopted as (shared across calls of one restore).
 * @returns A block of the store.
 */
export function adoptBlock(
  b: SeriesBlock,
  part: GroupPart,
  pools: BlockPools,
  seen: Map<object, object> = new Map(),
): SeriesBlock {
  if (b.part !== EMPTY_PART && b.part !== part) {
    if (pairsKey(b.part.pairs) !== pairsKey(part.pairs)) {
      return encodeBlock(b.family, part, b.lastPushMs, pools);
    }
  } else part = b.part;
  // Nothing is allocated unless something changes (the usual case: a decoder's block whose
  // shared objects are new to the store's pools, which then take them as they are).
  const head = adopted(b.head, pools.heads, seen);
  let sets = b.sets;
  if (Array.isArray(sets)) {
    const list = sets as readonly LabelSet[];
    for (let i = 0; i < list.length; i++) {
      const x = list[i]!, y = adoptedSet(x, pools, seen);
      if (y === x) continue;
      const copy = list.slice();
      copy[i] = y;
      for (let j = i + 1; j < copy.length; j++) copy[j] = adoptedSet(copy[j]!, pools, seen);
      sets = copy;
      break;
    }
  } else sets = adoptedSet(sets as LabelSet, pools, seen);
  let shapes = b.shapes;
  if (Array.isArray(shapes)) {
    const list = shapes as readonly Shape[];
    for (let i = 0; i < list.length; i++) {
      const x = list[i]!, y = adoptedShape(x, pools, seen);
      if (y === x) continue;
      const copy = list.slice();
      copy[i] = y;
      for (let j = i + 1; j < copy.length; j++) copy[j] = adoptedShape(copy[j]!, pools, seen);
      shapes = copy;
      break;
    }
  } else shapes = adoptedShape(shapes as Shape, pools, seen);
  if (part === b.part && head === b.head && sets === b.sets && shapes === b.shapes) return b;
  return new SeriesBlock(head, b.lastPushMs, part, b.id(0), sets, shapes, b.values, b.extra);
}

/** What `x` was adopted into `pool` as, adopting it on first sight. */
function adopted<T extends object>(x: T, pool: ValuePool<T>, seen: Map<object, object>): T {
  let pooled = seen.get(x) as T | undefined;
  if (pooled === undefined) seen.set(x, pooled = pool.adopt(x));
  return pooled;
}

function adoptedSet(x: LabelSet, pools: BlockPools, seen: Map<object, object>): LabelSet {
  return x.pairs.length === 0 ? x : adopted(x, pools.sets, seen);
}

function adoptedShape(x: Shape, pools: BlockPools, seen: Map<object, object>): Shape {
  return x.kind === ShapeKind.VALUE || x.kind === ShapeKind.RICH
    ? x
    : adopted(x, pools.shapes, seen);
}

/**
 * The group part the restored blocks of a group already share, when its
 * pairs are the group's (a snapshot decoder makes one per group), so the
 * blocks are kept as they are.
 *
 * @param families The group's restored families.
 * @param pairs The group's grouping pairs, in any order.
 * @returns The shared part, or `undefined` when there is none to keep.
 */
export function sharedPart(
  families: Iterable<StoredFamily>,
  pairs: readonly LabelPair[],
): GroupPart | undefined {
  for (const stored of families) {
    if (!isSeriesBlock(stored) || stored.part === EMPTY_PART) continue;
    // The part's names are distinct, as are the group's: equal counts and every pair of the
    // group in the part make the same pairs.
    const part = stored.part;
    if (part.pairs.length !== pairs.length) return undefined;
    for (const p of pairs) {
      if (!part.pairs.some((q) => q.name === p.name && q.value === p.value)) return undefined;
    }
    return part;
  }
  return undefined;
}

/**
 * A restored group's families as the store's blocks, in name order; the
 * gateway's own `push_expiry_time_seconds` is left out (rebuilt from the
 * TTL), and of two families of one name the first is kept.
 *
 * @param families The group's restored families (blocks or whole families).
 * @param part The group's part in the store.
 * @param pools The store's pools.
 * @param seen Shared across the groups of one restore (see {@linkcode adoptBlock}).
 * @returns The blocks, sorted by name, names distinct.
 */
export function restoredBlocks(
  families: Iterable<StoredFamily>,
  part: GroupPart,
  pools: BlockPools,
  seen: Map<object, object>,
): SeriesBlock[] {
  const blocks: SeriesBlock[] = [];
  let sorted = true; // names strictly increasing so far (a decoder's groups are)
  for (const stored of families) {
    const name = isSeriesBlock(stored) ? stored.head.name : stored.family.name;
    if (name === PUSH_EXPIRY_TIME_METRIC) continue;
    const block = isSeriesBlock(stored)
      ? adoptBlock(stored, part, pools, seen)
      : encodeBlock(stored.family, part, stored.lastPushMs, pools);
    if (blocks.length > 0 && !(blocks[blocks.length - 1]!.head.name < name)) sorted = false;
    blocks.push(block);
  }
  if (sorted) return blocks;
  // A stable sort: of equal names the first stays first, and is the one kept.
  blocks.sort((a, b) => (a.head.name < b.head.name ? -1 : a.head.name > b.head.name ? 1 : 0));
  return blocks.filter((b, i) => i === 0 || b.head.name !== blocks[i - 1]!.head.name);
}
