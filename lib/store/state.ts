/**
 * The store's state machine: groups by grouping key, and the deterministic
 * application of writes with upstream's semantics. Given the same writes in
 * the same order, two states end up equal, which is what lets every store
 * implementation (in memory, or a replica following a shared log) use it.
 *
 * - Each write runs synchronously to completion, so readers never see a
 *   half-applied write. Stored families are never mutated; readers may keep
 *   references.
 * - The state is always consistent: a push that would make a scrape fail is
 *   refused, and a refused push never makes later pushes or scrapes fail
 *   (upstream's "poisoned store" cannot happen; see docs/upstream.md).
 * - Checking a push costs time proportional to the push, not to the store:
 *   see {@link ./series_index.ts} and {@link ./push_check.ts}.
 * - Everything that decides a write's outcome is here and depends only on the
 *   writes and the settings: a group's deadline comes from the push time the
 *   write carries and the default TTL given as a setting (never from a clock),
 *   and the store-wide series limit is decided here too.
 *
 * @module
 */

import type { LabelPair, MetricFamily } from "@lib/model/metric.ts";
import { BlockMap } from "@lib/store/block_map.ts";
import { joinErrors } from "@lib/store/consistency.ts";
import { type GroupPart, groupPart } from "@lib/store/label_sets.ts";
import { restoredBlocks, sharedPart } from "@lib/store/restore_blocks.ts";
import {
  compact,
  type MergedFamily,
  mergedFamilyOf,
  pendingTooLarge,
} from "@lib/store/merged_view.ts";
import { type CheckIndex, checkPush, newGroupClash } from "@lib/store/push_check.ts";
import { groupingPairs, sanitizeFamily, timestampGauge } from "@lib/store/sanitize.ts";
import {
  blockGaugeValue,
  type BlockPools,
  encodeBlock,
  markPoolsSwept,
  newPools,
  type SeriesBlock,
  sweepPools,
} from "@lib/store/series_block.ts";
import {
  type FamilyEntry,
  indexRow,
  newFamilyEntry,
  seriesOf,
  unindexRow,
} from "@lib/store/series_index.ts";
import type {
  DeleteResult,
  DeleteWrite,
  OwnFamily,
  PushRefusal,
  PushResult,
  PushWrite,
  StoredGroup,
  StoreView,
  WipeResult,
  WriteRequest,
  WriteResultOf,
} from "@lib/store/store.ts";
import {
  type Group,
  groupingKey,
  type GroupingLabels,
  type GroupTtl,
  NO_TTL,
  PUSH_EXPIRY_TIME_HELP,
  PUSH_EXPIRY_TIME_METRIC,
  PUSH_FAILURE_TIME_HELP,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_HELP,
  PUSH_TIME_METRIC,
  SYNTHETIC_METRICS,
} from "@lib/store/types.ts";

/** A group to restore: its content and, when known, the sequence of its last write. */
export interface RestoredGroup extends Group {
  /** The sequence of the group's last write (0 when absent: restored and not written since). */
  readonly writeSeq?: number;
}

/** The timestamp-check error text. */
export const TIMESTAMP_ERROR = "pushed metrics must not have timestamps";

/** The settings every replica must share (they decide writes' outcomes). */
export interface StateSettings {
  /** `--push.default-ttl` in milliseconds; 0 (the default): groups never expire by default. */
  readonly defaultTtlMs?: number;
  /** `--storage.max-series`: the most series the store holds; 0 (the default): no limit. */
  readonly maxSeries?: number;
}

interface MutableGroup {
  readonly labels: GroupingLabels;
  /** The grouping pairs sorted by name, which the group's series share. */
  readonly part: GroupPart;
  readonly families: BlockMap;
  writeSeq: number;
  ttl: GroupTtl;
}

/** Byte order of label names (Go's sort of strings). */
function byName(a: LabelPair, b: LabelPair): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A new group (not stored yet), with `blocks` (sorted by name, names distinct) as its families. */
function newGroup(
  labels: GroupingLabels,
  pairs: Pairs,
  writeSeq: number,
  ttl: GroupTtl,
  part: GroupPart = groupPart(pairs.slice().sort(byName)),
  blocks: SeriesBlock[] = [],
): MutableGroup {
  return { labels, part, families: new BlockMap(blocks), writeSeq, ttl };
}

/** The value of one of a group's synthetic gauges in Unix seconds, 0 when absent. */
function gaugeSeconds(group: MutableGroup, name: string): number {
  const b = group.families.get(name);
  return (b && blockGaugeValue(b)) ?? 0;
}

type Pairs = ReturnType<typeof groupingPairs>;

/** The series a new group starts with: `push_time_seconds` and `push_failure_time_seconds`. */
const NEW_GROUP_SERIES = 2;

/** Whether any pushed metric carries a timestamp. */
function hasTimestamp(pushed: ReadonlyMap<string, MetricFamily>): boolean {
  for (const family of pushed.values()) {
    for (const m of family.metric) if (m.timestampMs !== undefined) return true;
  }
  return false;
}

/** Where a refused push is recorded (see `StoreState.#fail`). */
interface FailAt {
  readonly key: string;
  readonly existing: MutableGroup | undefined;
  readonly req: Omit<PushWrite, "kind">;
  readonly seq: number;
  readonly pairs: Pairs;
  readonly clash: readonly string[];
}

/**
 * A group's last push in Unix epoch milliseconds: its last successful push,
 * or its last failure when it never had one (0 when it has neither).
 */
function lastPushMs(group: MutableGroup): number {
  const seconds = gaugeSeconds(group, PUSH_TIME_METRIC) ||
    gaugeSeconds(group, PUSH_FAILURE_TIME_METRIC);
  return seconds * 1000;
}

/** How many series a push that passed the check adds to the store (negative: removes). */
function seriesDelta(
  existing: MutableGroup | undefined,
  pushed: ReadonlyMap<string, MetricFamily>,
  replace: boolean,
  ttl: GroupTtl,
): number {
  let delta = 0;
  for (const family of pushed.values()) delta += family.metric.length;
  const has = (name: string): boolean => existing?.families.has(name) ?? false;
  if (existing) {
    for (const [name, stored] of existing.families) {
      if (pushed.has(name) || (replace && !SYNTHETIC_METRICS.has(name))) {
        delta -= stored.size;
      }
    }
  }
  if (!has(PUSH_TIME_METRIC)) delta++;
  if (!has(PUSH_FAILURE_TIME_METRIC) && !pushed.has(PUSH_FAILURE_TIME_METRIC)) delta++;
  const expiryAfter = ttl.deadlineMs !== undefined ? 1 : 0;
  delta += expiryAfter - (has(PUSH_EXPIRY_TIME_METRIC) ? 1 : 0);
  return delta;
}

/** The groups of a store and the index over them; applies writes and serves the view. */
export class StoreState implements StoreView {
  readonly #groups = new Map<string, MutableGroup>();
  readonly #index: CheckIndex & { readonly entries: Map<string, FamilyEntry> };
  readonly #defaultTtlMs: number;
  readonly #maxSeries: number;
  readonly #pools: BlockPools = newPools();
  #series = 0;
  #sortedNames: string[] | undefined;
  #sortedGroups: readonly StoredGroup[] | undefined;

  /**
   * Creates an empty state; `own` names the gateway's own families, which
   * pushes must agree with; `settings` are the default TTL and the series limit.
   */
  constructor(own: ReadonlyMap<string, OwnFamily> = new Map(), settings: StateSettings = {}) {
    this.#index = { entries: new Map(), own };
    this.#defaultTtlMs = Math.max(0, settings.defaultTtlMs ?? 0);
    this.#maxSeries = Math.max(0, settings.maxSeries ?? 0);
  }

  /** Number of groups. */
  get size(): number {
    return this.#groups.size;
  }

  /** Number of series stored, the synthetic gauges included. */
  get seriesCount(): number {
    return this.#series;
  }

  /** Applies any write as the write with sequence `seq`. */
  apply<W extends WriteRequest>(write: W, seq: number): WriteResultOf<W>;
  apply(write: WriteRequest, seq: number): PushResult | DeleteResult | WipeResult {
    switch (write.kind) {
      case "push":
        return this.push(write, seq);
      case "delete":
        return this.delete(write, seq);
      case "wipe":
        return this.wipe(seq);
    }
  }

  /**
   * Applies a push, or refuses it and records the failure time. The check
   * always runs, also when the HTTP layer answers without waiting
   * (`--push.disable-consistency-check`): it is cheap here, and skipping it is
   * what lets upstream's store end up unscrapeable.
   */
  push(req: Omit<PushWrite, "kind">, seq = 0): PushResult {
    const key = groupingKey(req.labels);
    const existing = this.#groups.get(key);
    // Two families of the same name in one push: the later one wins (upstream).
    const pushed = new Map<string, MetricFamily>();
    for (const family of req.families) pushed.set(family.name, family);
    // One set of grouping-label pairs, shared by every series the push stores.
    const pairs = groupingPairs(req.labels);
    const clash = existing ? [] : newGroupClash(this.#index, key, req.labels, pairs);
    const fail = (cause: PushRefusal, error: string): PushResult =>
      this.#fail({ key, existing, req, seq, pairs, clash }, cause, error);
    if (req.refused !== undefined) return fail("refused", req.refused);
    if (hasTimestamp(pushed)) return fail("inconsistent", TIMESTAMP_ERROR);
    // As upstream's processWriteRequest: the push time is always the gateway's own; a pushed
    // failure-time family replaces the group's one, except in a new group, which starts at 0.
    // The expiry time is the gateway's own too.
    pushed.delete(PUSH_TIME_METRIC);
    pushed.delete(PUSH_EXPIRY_TIME_METRIC);
    if (!existing) pushed.delete(PUSH_FAILURE_TIME_METRIC);
    for (const family of pushed.values()) sanitizeFamily(family, req.labels, pairs);

    const errors = checkPush(this.#index, {
      key,
      existing: existing?.families,
      pushed,
      replace: req.replace,
    });
    errors.push(...clash);
    if (errors.length > 0) return fail("inconsistent", joinErrors(errors));
    const ttlMs = req.ttlMs ?? this.#defaultTtlMs;
    const ttl: GroupTtl = req.ttlMs === undefined && !(ttlMs > 0) ? NO_TTL : {
      fromHeader: req.ttlMs !== undefined,
      deadlineMs: ttlMs > 0 ? req.timeMs + ttlMs : undefined,
    };
    const after = this.#series + seriesDelta(existing, pushed, req.replace, ttl);
    if (this.#maxSeries > 0 && after > this.#maxSeries && after > this.#series) {
      return fail(
        "max-series",
        `storing this push would raise the number of series to ${after}, over the limit of ` +
          `${this.#maxSeries} (--storage.max-series)`,
      );
    }
    this.#applyPush(key, existing, pushed, req, seq, pairs, ttl);
    return { ok: true, seq };
  }

  /**
   * Deletes the group with exactly these grouping labels (a no-op when
   * absent, or when `ifNotWrittenSince` is set and the group was written later).
   */
  delete(req: Omit<DeleteWrite, "kind">, seq = 0): DeleteResult {
    const key = groupingKey(req.labels);
    const group = this.#groups.get(key);
    if (!group) return { seq, deleted: false };
    if (req.ifNotWrittenSince !== undefined && group.writeSeq > req.ifNotWrittenSince) {
      return { seq, deleted: false };
    }
    for (const name of group.families.keys()) this.#unindex(key, name);
    this.#groups.delete(key);
    this.#changed();
    return { seq, deleted: true };
  }

  /** Deletes every group. */
  wipe(seq = 0): WipeResult {
    const deleted = this.#groups.size;
    this.restore([]);
    return { seq, deleted };
  }

  /**
   * Replaces the whole content with restored groups, without checking them.
   * Each keeps its `writeSeq` (0 when not given). A group whose TTL came from
   * a header keeps its deadline; every other group gets the one the default
   * TTL gives from its last push (or, if it never had a successful one, its
   * last failure). Past deadlines are kept: removing them is the expiry's job.
   */
  restore(groups: Iterable<RestoredGroup>): void {
    this.#groups.clear();
    this.#index.entries.clear();
    this.#pools.heads.clear();
    this.#pools.sets.clear();
    this.#pools.shapes.clear();
    this.#series = 0;
    this.#sortedNames = undefined;
    const seen = new Map<object, object>();
    for (const g of groups) {
      const key = groupingKey(g.labels);
      const pairs = groupingPairs(g.labels);
      const families = g.families instanceof BlockMap
        ? g.families.contents
        : [...g.families.values()];
      const part = sharedPart(families, pairs) ?? groupPart(pairs.slice().sort(byName));
      const blocks = restoredBlocks(families, part, this.#pools, seen);
      const group = newGroup(g.labels, pairs, g.writeSeq ?? 0, NO_TTL, part, blocks);
      this.#groups.set(key, group);
      for (const block of blocks) this.#indexBlock(key, block.head.name, block, false);
      const lastPush = lastPushMs(group);
      const ttl = g.ttl?.fromHeader ? g.ttl : this.#defaultTtl(lastPush);
      this.#setTtl(key, group, ttl, lastPush, pairs, false);
    }
    markPoolsSwept(this.#pools); // they hold exactly what the restored blocks use
    this.#changed();
  }

  /** The groups sorted by grouping key; the same array until the next write. */
  groups(): readonly StoredGroup[] {
    this.#sortedGroups ??= [...this.#groups.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, g]) => g);
    return this.#sortedGroups;
  }

  /**
   * A point-in-time copy of every group (the family maps are copied; the
   * families themselves are immutable), safe to iterate while writes go on.
   * Each carries its `writeSeq` and its TTL, so that {@linkcode restore} can
   * bring it back; the `push_expiry_time_seconds` gauge is left out (rebuilt
   * from the TTL).
   */
  snapshot(): StoredGroup[] {
    return [...this.#groups.values()].map((g) => {
      const families = g.families.copy();
      families.delete(PUSH_EXPIRY_TIME_METRIC); // rebuilt from the TTL by restore()
      return { labels: g.labels, families, writeSeq: g.writeSeq, ttl: g.ttl };
    });
  }

  /** The group with these grouping labels, if any. */
  group(labels: GroupingLabels): StoredGroup | undefined {
    return this.#groups.get(groupingKey(labels));
  }

  /** Family names held by pushed groups, sorted. */
  familyNames(): readonly string[] {
    this.#sortedNames ??= [...this.#index.entries.keys()].sort();
    return this.#sortedNames;
  }

  /** See {@linkcode StoreView.mergedFamily}. */
  mergedFamily(name: string): MergedFamily | undefined {
    const entry = this.#index.entries.get(name);
    return entry && mergedFamilyOf(entry, this.#index.own.get(name));
  }

  #changed(): void {
    this.#sortedGroups = undefined;
  }

  /** The TTL a group on the default gets from a push (or failure) at `timeMs`. */
  #defaultTtl(timeMs: number): GroupTtl {
    if (this.#defaultTtlMs <= 0) return NO_TTL;
    return { fromHeader: false, deadlineMs: timeMs + this.#defaultTtlMs };
  }

  /**
   * Records a refused push. `clash` lists what creating a new group's synthetic gauges would break:
   * the failure is then not recorded, as creating the group would itself collide; nor is it when
   * creating the group would pass the series limit. A group made only of refused pushes expires
   * after the default TTL counted from its last failure; any other group keeps its deadline.
   */
  #fail(at: FailAt, cause: PushRefusal, error: string): PushResult {
    const { key, existing, req, seq, pairs, clash } = at;
    if (clash.length > 0) {
      return { ok: false, seq, cause, error, failureNotRecorded: joinErrors(clash) };
    }
    const failureOnly = !existing || gaugeSeconds(existing, PUSH_TIME_METRIC) === 0;
    const ttl = failureOnly ? this.#defaultTtl(req.timeMs) : (existing as MutableGroup).ttl;
    if (!existing && this.#maxSeries > 0) {
      const after = this.#series + NEW_GROUP_SERIES + (ttl.deadlineMs === undefined ? 0 : 1);
      if (after > this.#maxSeries) {
        const failureNotRecorded = `creating the group would raise the number of series to ` +
          `${after}, over the limit of ${this.#maxSeries} (--storage.max-series)`;
        return { ok: false, seq, cause, error, failureNotRecorded };
      }
    }
    const group = existing ?? newGroup(req.labels, pairs, seq, ttl);
    group.writeSeq = seq;
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
    if (failureOnly) this.#setTtl(key, group, ttl, req.timeMs, pairs);
    this.#changed();
    return { ok: false, seq, cause, error };
  }

  /**
   * Sets a group's TTL, and its `push_expiry_time_seconds` gauge while it has
   * a deadline. `bounded` as for {@linkcode #indexFamily}.
   */
  #setTtl(
    key: string,
    group: MutableGroup,
    ttl: GroupTtl,
    timeMs: number,
    pairs: Pairs,
    bounded = true,
  ): void {
    group.ttl = ttl;
    if (ttl.deadlineMs !== undefined) {
      const gauge = timestampGauge(
        PUSH_EXPIRY_TIME_METRIC,
        PUSH_EXPIRY_TIME_HELP,
        group.labels,
        ttl.deadlineMs / 1000,
        pairs,
      );
      this.#setFamily(key, group, gauge, timeMs, bounded);
    } else if (group.families.has(PUSH_EXPIRY_TIME_METRIC)) {
      this.#unindex(key, PUSH_EXPIRY_TIME_METRIC);
      group.families.delete(PUSH_EXPIRY_TIME_METRIC);
    }
  }

  #applyPush(
    key: string,
    existing: MutableGroup | undefined,
    pushed: Map<string, MetricFamily>,
    req: Omit<PushWrite, "kind">,
    seq: number,
    pairs: Pairs,
    ttl: GroupTtl,
  ): void {
    const group = existing ?? newGroup(req.labels, pairs, seq, ttl);
    group.writeSeq = seq;
    if (!existing) this.#groups.set(key, group);
    else if (req.replace) {
      for (const name of [...group.families.keys()]) {
        if (SYNTHETIC_METRICS.has(name)) continue;
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
    this.#setTtl(key, group, ttl, req.timeMs, pairs);
    this.#changed();
  }

  #setFamily(
    key: string,
    group: MutableGroup,
    family: MetricFamily,
    timeMs: number,
    bounded = true,
  ): void {
    if (group.families.has(family.name)) this.#unindex(key, family.name);
    const block = encodeBlock(family, group.part, timeMs, this.#pools);
    group.families.set(family.name, block);
    this.#indexBlock(key, family.name, block, bounded);
    if (bounded) this.#maybeSweep();
  }

  /**
   * Indexes a stored block. `bounded` applies pending changes past the
   * merged view's limit at once; a restore leaves them to the first read
   * (one sort per family instead of repeated merges).
   */
  #indexBlock(key: string, name: string, block: SeriesBlock, bounded = true): void {
    let entry = this.#index.entries.get(name);
    if (!entry) {
      // A restore (not bounded) leaves the series map to the first push or delete that needs it.
      entry = newFamilyEntry(name, block.head.type, block.head.help, !bounded);
      this.#index.entries.set(name, entry);
      this.#sortedNames = undefined;
    }
    const series = bounded ? seriesOf(entry) : entry.series; // built before the owners change
    entry.owners.set(key, block);
    if (entry.owners.size === 1) entry.firstKey = key;
    else if (entry.firstKey !== undefined && key < entry.firstKey) entry.firstKey = key;
    if (block.head.type !== entry.type) entry.mixedTypes = true;
    const n = block.size;
    this.#series += n;
    if (series !== undefined) { for (let i = 0; i < n; i++) indexRow(entry, block, i, key); }
    entry.added.add(block);
    entry.pendingRows += n;
    if (bounded && pendingTooLarge(entry)) compact(entry);
    entry.merged = undefined;
  }

  #unindex(key: string, name: string): void {
    const entry = this.#index.entries.get(name);
    const block = entry?.owners.get(key);
    if (!entry || !block) return;
    seriesOf(entry); // built before the owners change
    entry.owners.delete(key);
    if (key === entry.firstKey) entry.firstKey = undefined;
    const n = block.size;
    this.#series -= n;
    for (let i = 0; i < n; i++) unindexRow(entry, block, i, key);
    if (entry.added.has(block)) {
      entry.added.delete(block);
      entry.pendingRows -= n;
    } else {
      entry.removed.add(block);
      entry.pendingRows += n;
    }
    if (pendingTooLarge(entry)) compact(entry);
    entry.merged = undefined;
    if (entry.owners.size === 0) {
      this.#index.entries.delete(name);
      this.#sortedNames = undefined;
    } else if (entry.mixedTypes) {
      // The first remaining owner's type becomes the family's. (Not done when all owners agree:
      // reaching the first entry of a Map that had many deletions walks over their holes.)
      const types = new Set<(typeof block.head)["type"]>();
      for (const owner of entry.owners.values()) types.add(owner.head.type);
      entry.type = types.values().next().value as typeof entry.type;
      entry.mixedTypes = types.size > 1;
    }
  }

  /** Drops pooled heads, label sets and shapes no stored block uses, once a pool has doubled. */
  #maybeSweep(): void {
    sweepPools(this.#pools, () => this.#blocks());
  }

  /** Every stored block. */
  *#blocks(): Iterable<SeriesBlock> {
    for (const g of this.#groups.values()) yield* g.families.values();
  }
}
