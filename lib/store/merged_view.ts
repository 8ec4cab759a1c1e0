/**
 * The merged view of one family across groups: every owner's series in
 * client_golang's order, kept sorted incrementally (a write sorts only what it
 * added and merges it in on the next read).
 *
 * @module
 */

import type { Metric, MetricFamily } from "@lib/model/metric.ts";
import type { FamilyEntry } from "@lib/store/series_index.ts";
import type { OwnFamily } from "@lib/store/store.ts";
import type { StoredFamily } from "@lib/store/types.ts";

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
export function compact(entry: FamilyEntry): void {
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

export function pendingTooLarge(entry: FamilyEntry): boolean {
  const limit = entry.sorted.length + MAX_PENDING;
  return entry.added.length > limit || entry.removed.size > limit;
}

/**
 * The merged family of an index entry, built after a change and kept until
 * the next one: metrics in order, the help and unit of the group with the
 * smallest grouping key (or `own`'s help for the gateway's own names).
 */
export function mergedFamilyOf(entry: FamilyEntry, own: OwnFamily | undefined): MetricFamily {
  if (entry.merged) return entry.merged;
  compact(entry);
  // The help and unit of the smallest grouping key: one pass over the owners, no sort.
  let firstKey: string | undefined;
  for (const k of entry.owners.keys()) if (firstKey === undefined || k < firstKey) firstKey = k;
  const first = entry.owners.get(firstKey as string) as StoredFamily;
  const merged: MetricFamily = { name: entry.name, type: entry.type, metric: entry.sorted };
  const help = own ? own.help : first.family.help;
  if (help !== undefined) merged.help = help;
  const unit = first.family.unit;
  if (unit !== undefined) merged.unit = unit;
  entry.merged = merged;
  return merged;
}
