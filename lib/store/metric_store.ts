/**
 * The metric store: groups by grouping key, push/replace/delete with
 * upstream's semantics, and an incremental consistency check.
 *
 * Contract:
 * - Every write (`push`, `delete`, `wipe`, `restore`) runs synchronously to
 *   completion, so writes are serialised and readers never see a half-applied
 *   write. Stored families are never mutated; readers may keep references.
 * - The store is always consistent: a push that would make a scrape fail is
 *   rejected, and a rejected push never makes later pushes or scrapes fail
 *   (upstream's "poisoned store", spec §4.6, cannot happen).
 * - Checking a push costs time proportional to the push, not to the store: an
 *   index (family name → type and owning groups; series identity → group)
 *   answers every cross-group question.
 *
 * @module
 */

import {
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";
import {
  checkMetric,
  checkSuffixCollisions,
  collectedMetric,
  joinErrors,
} from "@lib/store/consistency.ts";
import {
  groupingPairs,
  groupSeriesLabels,
  sanitizeFamily,
  timestampGauge,
} from "@lib/store/sanitize.ts";
import {
  type Group,
  groupingKey,
  type GroupingLabels,
  PUSH_FAILURE_TIME_HELP,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_HELP,
  PUSH_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";

/** A family the gateway exposes itself (build info, HTTP and process metrics). */
export interface OwnFamily {
  readonly type: MetricType;
  readonly help: string;
}

/** What a push asks the store to do. */
export interface PushRequest {
  /** Grouping labels, `job` included. */
  readonly labels: GroupingLabels;
  /**
   * Parsed families; sanitised in place by the store (pass fresh objects). Of
   * several families with one name, the later one wins (upstream).
   */
  readonly families: MetricFamily[];
  /** PUT (true) replaces the group; POST (false) replaces same-named families. */
  readonly replace: boolean;
  /** Push time, Unix epoch milliseconds. */
  readonly timeMs: number;
}

/** The outcome of a push. */
export type PushResult =
  | { ok: true }
  | {
    ok: false;
    /** The error text after upstream's `pushed metrics are invalid or inconsistent with existing metrics: ` prefix. */
    error: string;
    /** Why the failure timestamp could not be recorded, when it could not (it would itself collide). */
    failureNotRecorded?: string;
  };

/**
 * Owners of the series with one identity hash: the owning group key when one
 * identity has this hash (the common case), or, after a genuine hash
 * collision, series identity ({@linkcode seriesId}) → owning group key.
 */
type SeriesSlot = string | Map<string, string>;

/** Index entry of one family name across groups. */
interface FamilyEntry {
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

interface MutableGroup {
  readonly labels: GroupingLabels;
  readonly families: Map<string, StoredFamily>;
}

/** The timestamp-check error text. */
export const TIMESTAMP_ERROR = "pushed metrics must not have timestamps";

/** Whether any pushed metric carries a timestamp. */
function hasTimestamp(pushed: Map<string, MetricFamily>): boolean {
  for (const family of pushed.values()) {
    for (const m of family.metric) if (m.timestampMs !== undefined) return true;
  }
  return false;
}

/** Series identity within a family: the sorted label pairs, length-prefixed so no two label sets collide. */
function seriesId(m: Metric): string {
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
function sameLabels(a: readonly LabelPair[], b: readonly LabelPair[]): boolean {
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
function seriesOwner(
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
function indexSeries(entry: FamilyEntry, m: Metric, key: string): void {
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
function unindexSeries(entry: FamilyEntry, m: Metric, key: string): void {
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

/** client_golang's metric order: fewer labels first, then label values position by position. */
export function compareMetrics(a: Metric, b: Metric): number {
  if (a.label.length !== b.label.length) return a.label.length - b.label.length;
  for (let i = 0; i < a.label.length; i++) {
    const va = (a.label[i] as { value: string }).value;
    const vb = (b.label[i] as { value: string }).value;
    if (va !== vb) return va < vb ? -1 : 1;
  }
  const ta = a.timestampMs, tb = b.timestampMs;
  if (ta === undefined) return tb === undefined ? 0 : 1;
  if (tb === undefined) return -1;
  return ta - tb;
}

/**
 * {@linkcode compareMetrics} made a total order on a family's stored series:
 * ties (same label values, other label names) are broken by the label names.
 */
function compareSeries(a: Metric, b: Metric): number {
  const c = compareMetrics(a, b);
  if (c !== 0) return c;
  for (let i = 0; i < a.label.length; i++) {
    const na = (a.label[i] as { name: string }).name;
    const nb = (b.label[i] as { name: string }).name;
    if (na !== nb) return na < nb ? -1 : 1;
  }
  return 0;
}

/** Merges two sorted arrays into a new one (linear). */
function mergeSorted(a: readonly Metric[], b: readonly Metric[]): Metric[] {
  if (b.length === 0) return a.slice();
  if (a.length === 0) return b.slice();
  const out: Metric[] = new Array(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) {
    out[k++] = compareSeries(a[i] as Metric, b[j] as Metric) <= 0
      ? a[i++] as Metric
      : b[j++] as Metric;
  }
  while (i < a.length) out[k++] = a[i++] as Metric;
  while (j < b.length) out[k++] = b[j++] as Metric;
  return out;
}

/**
 * Applies the changes since the last read to `entry.sorted`: drops removed
 * series (one pass), sorts only the added ones and merges them in (one pass).
 */
function compact(entry: FamilyEntry): void {
  if (entry.added.length === 0 && entry.removed.size === 0) return;
  const keep = (m: Metric) => !entry.removed.has(m);
  const base = entry.removed.size > 0 ? entry.sorted.filter(keep) : entry.sorted;
  const added = entry.removed.size > 0 ? entry.added.filter(keep) : entry.added;
  entry.sorted = mergeSorted(base, added.sort(compareSeries));
  entry.added = [];
  entry.removed.clear();
}

/** Pending changes beyond this (and beyond the family's size) are applied at write time, so memory stays bounded without scrapes. */
const MAX_PENDING = 1024;

function pendingTooLarge(entry: FamilyEntry): boolean {
  const limit = entry.sorted.length + MAX_PENDING;
  return entry.added.length > limit || entry.removed.size > limit;
}

/** The in-memory metric store. */
export class MetricStore {
  readonly #groups = new Map<string, MutableGroup>();
  readonly #index = new Map<string, FamilyEntry>();
  readonly #own: ReadonlyMap<string, OwnFamily>;
  #sortedNames: string[] | undefined;
  #sortedGroups: readonly Group[] | undefined;

  /** Creates an empty store; `own` names the gateway's own families, which pushes must agree with. */
  constructor(own: ReadonlyMap<string, OwnFamily> = new Map()) {
    this.#own = own;
  }

  /** Number of groups. */
  get size(): number {
    return this.#groups.size;
  }

  /**
   * Applies a push, or rejects it and records the failure time (spec §4.4–4.6).
   * The check always runs, also when the HTTP layer answers without waiting
   * (`--push.disable-consistency-check`): it is cheap here, and skipping it is
   * what lets upstream's store end up unscrapeable.
   */
  push(req: PushRequest): PushResult {
    const key = groupingKey(req.labels);
    const existing = this.#groups.get(key);
    // Two families of the same name in one push: the later one wins (upstream).
    const pushed = new Map<string, MetricFamily>();
    for (const family of req.families) pushed.set(family.name, family);
    // One set of grouping-label pairs, shared by every series the push stores.
    const pairs = groupingPairs(req.labels);
    const clash = existing ? undefined : this.#syntheticClash(key, req.labels, pairs);
    if (hasTimestamp(pushed)) return this.#fail(key, existing, req, TIMESTAMP_ERROR, pairs, clash);
    // The synthetic gauges always win over pushed families of the same name.
    pushed.delete(PUSH_TIME_METRIC);
    pushed.delete(PUSH_FAILURE_TIME_METRIC);
    for (const family of pushed.values()) sanitizeFamily(family, req.labels, pairs);

    const errors = this.#check(key, existing, pushed, req);
    if (clash) errors.push(clash);
    if (errors.length > 0) return this.#fail(key, existing, req, joinErrors(errors), pairs, clash);
    this.#apply(key, existing, pushed, req, pairs);
    return { ok: true };
  }

  /** Deletes the group with exactly these grouping labels (a no-op when absent). */
  delete(labels: GroupingLabels): void {
    const key = groupingKey(labels);
    const group = this.#groups.get(key);
    if (!group) return;
    for (const name of group.families.keys()) this.#unindex(key, name);
    this.#groups.delete(key);
    this.#changed();
  }

  /** Deletes every group. */
  wipe(): void {
    this.restore([]);
  }

  /** Replaces the whole content with restored groups (used on start-up). */
  restore(groups: Iterable<Group>): void {
    this.#groups.clear();
    this.#index.clear();
    this.#sortedNames = undefined;
    for (const g of groups) {
      const key = groupingKey(g.labels);
      const group: MutableGroup = { labels: g.labels, families: new Map(g.families) };
      this.#groups.set(key, group);
      for (const [name, stored] of group.families) this.#indexFamily(key, name, stored, false);
    }
    this.#changed();
  }

  /**
   * The groups, sorted by grouping key (upstream's UI order; deterministic for
   * the API). The same array is returned until the next write.
   */
  groups(): readonly Group[] {
    this.#sortedGroups ??= [...this.#groups.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, g]) => g);
    return this.#sortedGroups;
  }

  /**
   * A point-in-time copy of every group (the family maps are copied; the
   * families themselves are immutable), safe to iterate while writes go on.
   */
  snapshot(): Group[] {
    return [...this.#groups.values()].map((g) => ({
      labels: g.labels,
      families: new Map(g.families),
    }));
  }

  /** The group with these grouping labels, if any. */
  group(labels: GroupingLabels): Group | undefined {
    return this.#groups.get(groupingKey(labels));
  }

  /** Family names held by pushed groups, sorted. */
  familyNames(): readonly string[] {
    this.#sortedNames ??= [...this.#index.keys()].sort();
    return this.#sortedNames;
  }

  /**
   * The merged family of this name across all groups: metrics in client_golang's
   * order, the help of the group with the smallest grouping key (or the
   * gateway's own help for its own names). The same object is returned until a
   * write changes the family, so callers may cache renderings by identity.
   */
  mergedFamily(name: string): MetricFamily | undefined {
    const entry = this.#index.get(name);
    if (!entry) return undefined;
    if (entry.merged) return entry.merged;
    compact(entry);
    // The help of the smallest grouping key: one pass over the owners, no sort.
    let firstKey: string | undefined;
    for (const k of entry.owners.keys()) if (firstKey === undefined || k < firstKey) firstKey = k;
    const own = this.#own.get(name);
    const first = entry.owners.get(firstKey as string) as StoredFamily;
    const merged: MetricFamily = { name, type: entry.type, metric: entry.sorted };
    const help = own ? own.help : first.family.help;
    if (help !== undefined) merged.help = help;
    entry.merged = merged;
    return merged;
  }

  #changed(): void {
    this.#sortedGroups = undefined;
  }

  /** Post-push type of a family name, as seen by the suffix-collision rule. */
  #typeAfterPush(
    key: string,
    existing: MutableGroup | undefined,
    pushed: Map<string, MetricFamily>,
    replace: boolean,
    name: string,
  ): MetricType | undefined {
    const p = pushed.get(name);
    if (p) return p.type;
    const own = this.#own.get(name);
    if (own) return own.type;
    const entry = this.#index.get(name);
    if (!entry) return undefined;
    if (entry.owners.size > 1 || !entry.owners.has(key)) return entry.type;
    // Only this group holds it: kept unless the push replaces it.
    const kept = !replace || name === PUSH_TIME_METRIC || name === PUSH_FAILURE_TIME_METRIC;
    return existing && kept ? entry.type : undefined;
  }

  #check(
    key: string,
    existing: MutableGroup | undefined,
    pushed: Map<string, MetricFamily>,
    req: PushRequest,
  ): string[] {
    const errors: string[] = [];
    const ids = new Map<StoredFamily, Set<string>>();
    const typeOf = (n: string) => this.#typeAfterPush(key, existing, pushed, req.replace, n);
    for (const family of pushed.values()) {
      const entry = this.#index.get(family.name);
      const others = entry && (entry.owners.size > 1 || !entry.owners.has(key));
      const own = this.#own.get(family.name);
      if (own && own.type !== family.type) {
        // client_golang's Gatherers: the gateway's own registry is gathered first.
        errors.push(
          `gathered metric family ${family.name} has type ${METRIC_TYPE_NAMES[family.type]} ` +
            `but should have ${METRIC_TYPE_NAMES[own.type]}`,
        );
        continue;
      }
      const familyType = own ? own.type : others ? (entry as FamilyEntry).type : family.type;
      // The pushed series so far by hash (an array after a collision).
      const seen = new Map<number, Metric | Metric[]>();
      for (const m of family.metric) {
        const problem = checkMetric(family.name, familyType, m);
        if (problem) {
          errors.push(problem);
          continue;
        }
        const hash = seriesHash(m.label);
        const owner = seriesOwner(entry, m, hash, key, ids);
        const before = seen.get(hash);
        const dup = before !== undefined &&
          (Array.isArray(before)
            ? before.some((b) => sameLabels(b.label, m.label))
            : sameLabels(before.label, m.label));
        if (dup || (owner !== undefined && owner !== key)) {
          errors.push(
            `${
              collectedMetric(family.name, m)
            } was collected before with the same name and label values`,
          );
          continue;
        }
        if (before === undefined) seen.set(hash, m);
        else if (Array.isArray(before)) before.push(m);
        else seen.set(hash, [before, m]);
      }
      const collision = checkSuffixCollisions(family, typeOf);
      if (collision) errors.push(collision);
    }
    return errors;
  }

  /**
   * The error a new group's `push_time_seconds` series (value 0, as
   * {@linkcode timestampGauge} builds it) would cause, if any.
   */
  #syntheticClash(
    key: string,
    labels: GroupingLabels,
    pairs: readonly LabelPair[],
  ): string | undefined {
    const m: Metric = { label: groupSeriesLabels(labels, pairs), gauge: { value: 0 } };
    const entry = this.#index.get(PUSH_TIME_METRIC);
    const owner = seriesOwner(entry, m, seriesHash(m.label), key, new Map());
    if (owner === undefined || owner === key) return undefined;
    return `${
      collectedMetric(PUSH_TIME_METRIC, m)
    } was collected before with the same name and label values`;
  }

  /**
   * Records a rejected push. `clash` is the synthetic-series clash of a new group, if any: the
   * failure is then not recorded, as creating the group would itself collide.
   */
  #fail(
    key: string,
    existing: MutableGroup | undefined,
    req: PushRequest,
    error: string,
    pairs: readonly LabelPair[],
    clash: string | undefined,
  ): PushResult {
    if (clash) return { ok: false, error, failureNotRecorded: clash };
    const group = existing ?? { labels: req.labels, families: new Map() };
    if (!existing) {
      this.#groups.set(key, group);
      this.#setFamily(
        key,
        group,
        timestampGauge(PUSH_TIME_METRIC, PUSH_TIME_HELP, req.labels, 0, pairs),
        req.timeMs,
      );
    }
    this.#setFamily(
      key,
      group,
      timestampGauge(
        PUSH_FAILURE_TIME_METRIC,
        PUSH_FAILURE_TIME_HELP,
        req.labels,
        req.timeMs / 1000,
        pairs,
      ),
      req.timeMs,
    );
    this.#changed();
    return { ok: false, error };
  }

  #apply(
    key: string,
    existing: MutableGroup | undefined,
    pushed: Map<string, MetricFamily>,
    req: PushRequest,
    pairs: readonly LabelPair[],
  ): void {
    const group = existing ?? { labels: req.labels, families: new Map() };
    if (!existing) this.#groups.set(key, group);
    else if (req.replace) {
      for (const name of [...group.families.keys()]) {
        if (name === PUSH_TIME_METRIC || name === PUSH_FAILURE_TIME_METRIC) continue;
        this.#unindex(key, name);
        group.families.delete(name);
      }
    }
    for (const family of pushed.values()) this.#setFamily(key, group, family, req.timeMs);
    this.#setFamily(
      key,
      group,
      timestampGauge(PUSH_TIME_METRIC, PUSH_TIME_HELP, req.labels, req.timeMs / 1000, pairs),
      req.timeMs,
    );
    if (!group.families.has(PUSH_FAILURE_TIME_METRIC)) {
      this.#setFamily(
        key,
        group,
        timestampGauge(PUSH_FAILURE_TIME_METRIC, PUSH_FAILURE_TIME_HELP, req.labels, 0, pairs),
        req.timeMs,
      );
    }
    this.#changed();
  }

  #setFamily(key: string, group: MutableGroup, family: MetricFamily, timeMs: number): void {
    // Families of one name share the name and (when equal) the help string.
    // The family is not published yet, so this changes no reader's view.
    const entry = this.#index.get(family.name);
    if (entry !== undefined) {
      family.name = entry.name;
      if (family.help !== undefined && family.help === entry.help) family.help = entry.help;
    }
    if (group.families.has(family.name)) this.#unindex(key, family.name);
    const stored: StoredFamily = { family, lastPushMs: timeMs };
    group.families.set(family.name, stored);
    this.#indexFamily(key, family.name, stored);
  }

  /**
   * Indexes a stored family. `bounded` applies pending changes past
   * {@linkcode MAX_PENDING} at once; a restore leaves them to the first read
   * (one sort per family instead of repeated merges).
   */
  #indexFamily(key: string, name: string, stored: StoredFamily, bounded = true): void {
    let entry = this.#index.get(name);
    if (!entry) {
      entry = {
        name,
        type: stored.family.type,
        mixedTypes: false,
        help: stored.family.help,
        owners: new Map(),
        series: new Map(),
        sorted: [],
        added: [],
        removed: new Set(),
        merged: undefined,
      };
      this.#index.set(name, entry);
      this.#sortedNames = undefined;
    }
    entry.owners.set(key, stored);
    if (stored.family.type !== entry.type) entry.mixedTypes = true;
    const metrics = stored.family.metric;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i] as Metric;
      indexSeries(entry, m, key);
      entry.added.push(m);
    }
    if (bounded && pendingTooLarge(entry)) compact(entry);
    entry.merged = undefined;
  }

  #unindex(key: string, name: string): void {
    const entry = this.#index.get(name);
    const stored = entry?.owners.get(key);
    if (!entry || !stored) return;
    entry.owners.delete(key);
    const metrics = stored.family.metric;
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i] as Metric;
      unindexSeries(entry, m, key);
      entry.removed.add(m);
    }
    if (pendingTooLarge(entry)) compact(entry);
    entry.merged = undefined;
    if (entry.owners.size === 0) {
      this.#index.delete(name);
      this.#sortedNames = undefined;
    } else if (entry.mixedTypes) {
      // The first remaining owner's type becomes the family's. (Not done when all owners agree:
      // reaching the first entry of a Map that had many deletions walks over their holes.)
      const types = new Set<MetricType>();
      for (const owner of entry.owners.values()) types.add(owner.family.type);
      entry.type = types.values().next().value as MetricType;
      entry.mixedTypes = types.size > 1;
    }
  }
}
