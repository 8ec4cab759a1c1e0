/**
 * The series index of one family name across groups: which groups own a
 * family of this name, and which group owns each series (by label identity).
 * It answers every cross-group question of the consistency check in time
 * proportional to the push, not to the store.
 *
 * @module
 */

import type { LabelPair, Metric, MetricFamily, MetricType } from "@lib/model/metric.ts";
import type { StoredFamily } from "@lib/store/types.ts";

/**
 * Owners of the series with one identity hash: the owning group key when one
 * identity has this hash (the common case), or, after a genuine hash
 * collision, series identity ({@linkcode seriesId}) → owning group key.
 */
type SeriesSlot = string | Map<string, string>;

/** Index entry of one family name across groups. */
export interface FamilyEntry {
  /** The family name (the index key; stored families of this name share the string). */
  readonly name: string;
  type: MetricType;
  /**
   * Some owner's type differs from `type`. Pushes never allow this; only a restored snapshot that
   * was not consistent can. The type is then re-derived when an owner leaves.
   */
  mixedTypes: boolean;
  /** The help of the family that created the entry; equal helps share this string. */
  readonly help: string | undefined;
  /** group key → the group's family of this name. */
  readonly owners: Map<string, StoredFamily>;
  /**
   * {@linkcode seriesHash} of a series' labels → its owner(s). Emulates a map
   * series identity → owning group key exactly (see {@linkcode SeriesSlot}).
   */
  readonly series: Map<number, SeriesSlot>;
  /** Every owner's metrics in {@linkcode compareSeries} order as of the last read; never mutated (published as `merged.metric`). */
  sorted: Metric[];
  /** Metrics indexed since the last read, unsorted. */
  added: Metric[];
  /** Metrics unindexed since the last read (from `sorted` or `added`). */
  readonly removed: Set<Metric>;
  /** The merged view, rebuilt lazily after a change. */
  merged: MetricFamily | undefined;
}
/** A new, empty index entry for `name`, typed and helped after its first family. */
export function newFamilyEntry(
  name: string,
  type: MetricType,
  help: string | undefined,
): FamilyEntry {
  return {
    name,
    type,
    mixedTypes: false,
    help,
    owners: new Map(),
    series: new Map(),
    sorted: [],
    added: [],
    removed: new Set(),
    merged: undefined,
  };
}

/** Series identity within a family: the sorted label pairs, length-prefixed so no two label sets collide. */
export function seriesId(m: Metric): string {
  let id = "";
  for (const l of m.label) id += `${l.name.length}:${l.name}${l.value.length}:${l.value}`;
  return id;
}

/** FNV-1a over the UTF-16 code units of `s`, continuing from `h`, then a separator. */
function hashString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ 0xffff, 0x01000193);
}

/**
 * A 31-bit hash of a series' labels (a V8 small integer, so a map keyed by it
 * stores no string and no boxed number per series). Equal label lists hash
 * equally; unequal ones may collide and are told apart by comparing the
 * labels. Exported for tests (to construct collisions).
 *
 * @param labels The series' sorted label pairs.
 * @returns An integer in [-2^30, 2^30).
 */
export function seriesHash(labels: readonly LabelPair[]): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as LabelPair;
    h = hashString(hashString(h, l.name), l.value);
  }
  // murmur3's finaliser spreads the bits before the top one is dropped.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >> 1;
}

/** Whether two label lists are equal pair by pair (the series identity). */
export function sameLabels(a: readonly LabelPair[], b: readonly LabelPair[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as LabelPair, y = b[i] as LabelPair;
    if (x !== y && (x.name !== y.name || x.value !== y.value)) return false;
  }
  return true;
}

/** Families up to this size are searched linearly for a series; larger ones through a set of ids. */
const SCAN_LIMIT = 16;

/**
 * Whether `family` holds a metric with `m`'s labels. `ids` caches the series
 * identities of large families for the duration of one check, so many
 * duplicates against one large family cost one pass over it, not one each.
 */
function holdsSeries(
  family: StoredFamily | undefined,
  m: Metric,
  ids: Map<StoredFamily, Set<string>>,
): boolean {
  if (family === undefined) return false;
  const metrics = family.family.metric;
  if (metrics.length <= SCAN_LIMIT) {
    for (const other of metrics) if (sameLabels(other.label, m.label)) return true;
    return false;
  }
  let set = ids.get(family);
  if (set === undefined) {
    set = new Set(metrics.map(seriesId));
    ids.set(family, set);
  }
  return set.has(seriesId(m));
}

/** The first metric of `family` whose labels hash to `hash`, if any. */
function firstWithHash(family: StoredFamily | undefined, hash: number): Metric | undefined {
  if (family === undefined) return undefined;
  for (const m of family.family.metric) if (seriesHash(m.label) === hash) return m;
  return undefined;
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
  ids: Map<StoredFamily, Set<string>>,
): string | undefined {
  const slot = entry?.series.get(hash);
  if (slot === undefined) return undefined;
  if (typeof slot !== "string") return slot.get(seriesId(m));
  if (slot === key) return key;
  return holdsSeries((entry as FamilyEntry).owners.get(slot), m, ids) ? slot : undefined;
}

/** Records that group `key` holds `m` (later writers of an identity win, as `Map.set`). */
export function indexSeries(entry: FamilyEntry, m: Metric, key: string): void {
  const hash = seriesHash(m.label);
  const slot = entry.series.get(hash);
  if (slot === undefined) {
    entry.series.set(hash, key);
  } else if (typeof slot !== "string") {
    slot.set(seriesId(m), key);
  } else {
    // A string slot holds one identity, owned by `slot`'s indexed family.
    const held = firstWithHash(entry.owners.get(slot), hash);
    if (held === undefined || sameLabels(held.label, m.label)) {
      entry.series.set(hash, key);
    } else {
      entry.series.set(hash, new Map([[seriesId(held), slot], [seriesId(m), key]]));
    }
  }
}

/** Forgets that group `key` holds `m`, unless another group took the identity over. */
export function unindexSeries(entry: FamilyEntry, m: Metric, key: string): void {
  const hash = seriesHash(m.label);
  const slot = entry.series.get(hash);
  if (slot === key) {
    entry.series.delete(hash);
  } else if (slot !== undefined && typeof slot !== "string") {
    const id = seriesId(m);
    if (slot.get(id) === key) slot.delete(id);
    if (slot.size === 0) entry.series.delete(hash);
  }
}
