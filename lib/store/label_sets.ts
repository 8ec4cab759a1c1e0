/**
 * The labels of stored series without one label array per series: a series'
 * labels are its group's grouping pairs ({@linkcode GroupPart}, one per group)
 * merged by name with the pairs of its own ({@linkcode LabelSet}, shared by
 * every series with the same ones, pooled per store). A series `{instance,
 * job, outcome}` of group `{instance, job}` is its group's two pairs plus the
 * set `{outcome}` that thousands of groups share.
 *
 * Both parts are sorted by name and their names are disjoint, so the merged
 * list is sorted too. This module hashes, compares and materialises such
 * lists without building them.
 *
 * @module
 */

import type { LabelPair } from "@lib/model/metric.ts";
import { HashPool } from "@lib/store/pool.ts";

/** A sorted list of label pairs shared by every stored series that has it. */
export interface LabelSet {
  /** The pairs, sorted by name. Never mutated. */
  readonly pairs: readonly LabelPair[];
  /** The sum of the pairs' {@linkcode pairHash} (32-bit). */
  readonly hash: number;
}

/** A group's grouping pairs, sorted by name, as its series share them. */
export interface GroupPart {
  /** The pairs, sorted by name. Never mutated. */
  readonly pairs: readonly LabelPair[];
  /** The sum of the pairs' {@linkcode pairHash} (32-bit). */
  readonly hash: number;
}

/** The part of series whose labels are all in their set (restored series that lack a grouping pair). */
export const EMPTY_PART: GroupPart = Object.freeze({ pairs: Object.freeze([]), hash: 0 });

/** The empty label set. */
export const EMPTY_SET: LabelSet = Object.freeze({ pairs: Object.freeze([]), hash: 0 });

/** FNV-1a over the UTF-16 code units of `s`, continuing from `h`. */
function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** MurmurHash3's finaliser: every output bit depends on every input bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A 32-bit hash of one label pair. The hash of a label list is the sum of its
 * pairs' hashes, finalised ({@linkcode labelsHash}), so it can be computed
 * from the two parts of a stored series without merging them.
 */
export function pairHash(name: string, value: string): number {
  return fmix(fnv(Math.imul(fnv(0x811c9dc5, name) ^ 0xff, 0x01000193), value));
}

/** The sum of the pairs' {@linkcode pairHash} (32-bit, unfinalised). */
export function pairsHash(pairs: readonly LabelPair[]): number {
  let h = 0;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    h = (h + pairHash(p.name, p.value)) | 0;
  }
  return h;
}

/**
 * The finalised 32-bit hash of a label list from the sum of its pairs'
 * hashes: equal lists hash equally whatever parts they were stored in.
 *
 * @param sum The sum of pair hashes ({@linkcode pairsHash}, or a part's plus a set's).
 * @returns An unsigned 32-bit hash.
 */
export function finishHash(sum: number): number {
  return fmix(sum);
}

/**
 * The hash of a label list as a stored series' labels hash
 * ({@linkcode finishHash} of {@linkcode pairsHash}).
 *
 * @param labels Any label list.
 * @returns An unsigned 32-bit hash.
 */
export function labelsHash(labels: readonly LabelPair[]): number {
  return fmix(pairsHash(labels));
}

/** A new group part of `pairs` (sorted by name, distinct names). */
export function groupPart(pairs: readonly LabelPair[]): GroupPart {
  return { pairs, hash: pairsHash(pairs) };
}

/** The pool key of a pair list: length-prefixed, so no two lists share one. */
export function pairsKey(pairs: readonly LabelPair[]): string {
  let key = "";
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    key += `${p.name.length}:${p.name}${p.value.length}:${p.value}`;
  }
  return key;
}

/** Whether two label lists are equal pair by pair. */
export function samePairs(a: readonly LabelPair[], b: readonly LabelPair[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!, q = b[i]!;
    if (p !== q && (p.name !== q.name || p.value !== q.value)) return false;
  }
  return true;
}

/** The pool hash of a label set of this {@linkcode pairsHash} (31 bits: a V8 small integer). */
export function setPoolHash(hash: number): number {
  return hash >> 1;
}

/** A pool of label sets by hash (no key strings: a set's key would copy its every pair). */
export function newLabelSetPool(): HashPool<LabelSet> {
  return new HashPool((s) => setPoolHash(s.hash), (a, b) => samePairs(a.pairs, b.pairs));
}

/**
 * The pooled label set of `pairs` (sorted by name), made and pooled when there is none.
 *
 * @param pool The store's label-set pool.
 * @param pairs A series' own pairs.
 * @returns The pooled set; {@linkcode EMPTY_SET} when `pairs` is empty.
 */
export function pooledLabelSet(pool: HashPool<LabelSet>, pairs: readonly LabelPair[]): LabelSet {
  if (pairs.length === 0) return EMPTY_SET;
  const hash = pairsHash(pairs);
  return pool.find(setPoolHash(hash), (s) => samePairs(s.pairs, pairs), () => ({ pairs, hash }));
}

/** A new (unpooled) label set of `pairs`, sorted by name; {@linkcode EMPTY_SET} when empty. */
export function newLabelSet(pairs: readonly LabelPair[]): LabelSet {
  return pairs.length === 0 ? EMPTY_SET : { pairs, hash: pairsHash(pairs) };
}

/**
 * The merged list of a part and a set, as a new array.
 *
 * @param part The group's pairs.
 * @param set The series' own pairs (no name in common with `part`).
 * @returns The series' labels, sorted by name (the pair objects are shared).
 */
export function mergeLabels(part: readonly LabelPair[], set: readonly LabelPair[]): LabelPair[] {
  if (part.length === 0) return set.slice();
  if (set.length === 0) return part.slice();
  const out: LabelPair[] = new Array(part.length + set.length);
  let i = 0, j = 0, k = 0;
  while (i < part.length && j < set.length) {
    out[k++] = part[i]!.name < set[j]!.name ? part[i++]! : set[j++]!;
  }
  while (i < part.length) out[k++] = part[i++]!;
  while (j < set.length) out[k++] = set[j++]!;
  return out;
}

/**
 * Whether merging `part` and `set` gives exactly `labels` (name and value,
 * pair by pair): the series identity test without merging.
 */
export function sameMerged(
  part: readonly LabelPair[],
  set: readonly LabelPair[],
  labels: readonly LabelPair[],
): boolean {
  if (part.length + set.length !== labels.length) return false;
  let i = 0, j = 0;
  for (let k = 0; k < labels.length; k++) {
    const p = j >= set.length || (i < part.length && part[i]!.name < set[j]!.name)
      ? part[i++]!
      : set[j++]!;
    const l = labels[k]!;
    if (p !== l && (p.name !== l.name || p.value !== l.value)) return false;
  }
  return true;
}

/**
 * client_golang's order of two merged label lists: fewer labels first, then
 * label values position by position; 0 when the values are all equal.
 */
export function compareMergedValues(
  aPart: readonly LabelPair[],
  aSet: readonly LabelPair[],
  bPart: readonly LabelPair[],
  bSet: readonly LabelPair[],
): number {
  const n = aPart.length + aSet.length;
  const m = bPart.length + bSet.length;
  if (n !== m) return n - m;
  let ai = 0, aj = 0, bi = 0, bj = 0;
  for (let k = 0; k < n; k++) {
    const pa = aj >= aSet.length || (ai < aPart.length && aPart[ai]!.name < aSet[aj]!.name)
      ? aPart[ai++]!
      : aSet[aj++]!;
    const pb = bj >= bSet.length || (bi < bPart.length && bPart[bi]!.name < bSet[bj]!.name)
      ? bPart[bi++]!
      : bSet[bj++]!;
    if (pa === pb) continue;
    const va = pa.value, vb = pb.value;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  return 0;
}

/** The tie-break of {@linkcode compareMergedValues}: label names position by position. */
export function compareMergedNames(
  aPart: readonly LabelPair[],
  aSet: readonly LabelPair[],
  bPart: readonly LabelPair[],
  bSet: readonly LabelPair[],
): number {
  const n = aPart.length + aSet.length;
  let ai = 0, aj = 0, bi = 0, bj = 0;
  for (let k = 0; k < n; k++) {
    const pa = aj >= aSet.length || (ai < aPart.length && aPart[ai]!.name < aSet[aj]!.name)
      ? aPart[ai++]!
      : aSet[aj++]!;
    const pb = bj >= bSet.length || (bi < bPart.length && bPart[bi]!.name < bSet[bj]!.name)
      ? bPart[bi++]!
      : bSet[bj++]!;
    if (pa.name !== pb.name) return pa.name < pb.name ? -1 : 1;
  }
  return 0;
}

/**
 * Splits a stored series' sorted labels into its group's part and its own
 * pairs: the pairs whose names are not grouping labels, or `undefined` when
 * the labels are not sorted by distinct names or do not hold every grouping
 * pair exactly (restored data can be like that; such series keep their whole
 * list as their set, with {@linkcode EMPTY_PART}).
 *
 * @param labels The series' labels.
 * @param part The group's pairs.
 * @returns The series' own pairs, or `undefined`.
 */
export function ownPairs(
  labels: readonly LabelPair[],
  part: readonly LabelPair[],
): LabelPair[] | undefined {
  const own: LabelPair[] = [];
  let i = 0;
  let previous: string | undefined;
  for (let k = 0; k < labels.length; k++) {
    const l = labels[k]!;
    if (previous !== undefined && !(previous < l.name)) return undefined;
    previous = l.name;
    const p = part[i];
    if (p !== undefined && p.name === l.name) {
      if (p.value !== l.value) return undefined;
      i++;
    } else {
      if (p !== undefined && p.name < l.name) return undefined; // a grouping pair is missing
      own.push(l);
    }
  }
  return i === part.length ? own : undefined;
}
