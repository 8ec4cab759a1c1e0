/**
 * The consistency check of a push against the store's series index: what
 * client_golang's gatherer would refuse if the push were applied (types and
 * helps of the gateway's own families, per-metric rules, duplicate series
 * within the push and across groups, suffix collisions). It reads the index
 * and changes nothing.
 *
 * @module
 */

import { goQuote } from "@lib/gocompat/go_quote.ts";
import {
  type LabelPair,
  type Metric,
  METRIC_TYPE_NAMES,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";
import { checkMetric, checkSuffixCollisions, collectedMetric } from "@lib/store/consistency.ts";
import { groupSeriesLabels } from "@lib/store/sanitize.ts";
import type { SeriesBlock } from "@lib/store/series_block.ts";
import { samePairs } from "@lib/store/label_sets.ts";
import { type FamilyEntry, seriesHash, seriesOwner } from "@lib/store/series_index.ts";
import type { OwnFamily } from "@lib/store/store.ts";
import {
  type GroupingLabels,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";

/** What the check reads: the index and the gateway's own families. */
export interface CheckIndex {
  /** Family name → index entry. */
  readonly entries: ReadonlyMap<string, FamilyEntry>;
  /** The gateway's own families by name. */
  readonly own: ReadonlyMap<string, OwnFamily>;
}

/** The push being checked, sanitised. */
export interface CheckedPush {
  /** Grouping key of the target group. */
  readonly key: string;
  /** The families the group holds now (undefined: a new group). */
  readonly existing: ReadonlyMap<string, StoredFamily> | undefined;
  /** Pushed families by name, sanitised. */
  readonly pushed: ReadonlyMap<string, MetricFamily>;
  /** PUT (true) or POST. */
  readonly replace: boolean;
}

/** A duplicate-series error text. */
function duplicate(name: string, m: Metric): string {
  return `${collectedMetric(name, m)} was collected before with the same name and label values`;
}

/** Post-push type of a family name, as seen by the suffix-collision rule. */
function typeAfterPush(index: CheckIndex, push: CheckedPush, name: string): MetricType | undefined {
  const p = push.pushed.get(name);
  if (p) return p.type;
  const own = index.own.get(name);
  if (own) return own.type;
  const entry = index.entries.get(name);
  if (!entry) return undefined;
  if (entry.owners.size > 1 || !entry.owners.has(push.key)) return entry.type;
  // Only this group holds it: kept unless the push replaces it.
  const kept = !push.replace || name === PUSH_TIME_METRIC || name === PUSH_FAILURE_TIME_METRIC;
  return push.existing && kept ? entry.type : undefined;
}

/**
 * client_golang's `Gatherers` error for a pushed family that disagrees with
 * the gateway's own family of that name: help first (for families upstream
 * does not rewrite), then type.
 */
function ownFamilyError(own: OwnFamily, family: MetricFamily): string | undefined {
  const help = family.help ?? "";
  if (own.otherHelp === "refuse" && help !== own.help) {
    return `gathered metric family ${family.name} has help ${goQuote(help)} but should have ${
      goQuote(own.help)
    }`;
  }
  if (own.type !== family.type) {
    return `gathered metric family ${family.name} has type ${METRIC_TYPE_NAMES[family.type]} ` +
      `but should have ${METRIC_TYPE_NAMES[own.type]}`;
  }
  return undefined;
}

/**
 * Checks a sanitised push; returns the error texts in client_golang's order
 * (empty when the push may be applied).
 */
export function checkPush(index: CheckIndex, push: CheckedPush): string[] {
  const errors: string[] = [];
  const ids = new Map<SeriesBlock, Set<string>>();
  const typeOf = (n: string) => typeAfterPush(index, push, n);
  for (const family of push.pushed.values()) {
    const entry = index.entries.get(family.name);
    const others = entry && (entry.owners.size > 1 || !entry.owners.has(push.key));
    const own = index.own.get(family.name);
    if (own) {
      // client_golang's Gatherers: the gateway's own registry is gathered first.
      const error = ownFamilyError(own, family);
      if (error) {
        errors.push(error);
        continue;
      }
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
      const owner = seriesOwner(entry, m, hash, push.key, ids);
      const before = seen.get(hash);
      const dup = before !== undefined &&
        (Array.isArray(before)
          ? before.some((b) => samePairs(b.label, m.label))
          : samePairs(before.label, m.label));
      if (dup || (owner !== undefined && owner !== push.key)) {
        errors.push(duplicate(family.name, m));
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
 * The errors that creating a new group's synthetic gauges (`push_time_seconds`
 * and `push_failure_time_seconds`, value 0) would cause (none: empty): another group
 * owns a series with their labels, or holds a family of that name of another
 * type (a group may push its own `push_failure_time_seconds`, upstream keeps
 * it). Upstream then refuses the push and creates the group all the same,
 * which makes every later scrape fail; here the group is not created.
 */
export function newGroupClash(
  index: CheckIndex,
  key: string,
  labels: GroupingLabels,
  pairs: readonly LabelPair[],
): string[] {
  const errors: string[] = [];
  for (const name of [PUSH_TIME_METRIC, PUSH_FAILURE_TIME_METRIC]) {
    const m: Metric = { label: groupSeriesLabels(labels, pairs), gauge: { value: 0 } };
    const entry = index.entries.get(name);
    if (entry === undefined) continue;
    if (entry.type !== MetricType.GAUGE || entry.mixedTypes) {
      errors.push(`${collectedMetric(name, m)} is not a ${METRIC_TYPE_NAMES[entry.type]}`);
      continue;
    }
    const owner = seriesOwner(entry, m, seriesHash(m.label), key, new Map());
    if (owner !== undefined && owner !== key) errors.push(duplicate(name, m));
  }
  return errors;
}
