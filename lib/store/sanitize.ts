/**
 * Label sanitising of pushed families and the synthetic timestamp gauges,
 * as upstream's store does before its consistency check.
 *
 * @module
 */

import { type LabelPair, type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import type { GroupingLabels } from "@lib/store/types.ts";

/** Orders label pairs by name (byte order, as Go's sort of strings). */
function byName(a: LabelPair, b: LabelPair): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** `instance=""`, added to series without an instance label; shared (stored pairs are never mutated). */
const EMPTY_INSTANCE: LabelPair = { name: "instance", value: "" };

/**
 * The grouping labels as pairs, in their key order. Pass the result to
 * {@linkcode sanitizeFamily} and {@linkcode timestampGauge} so every series of
 * a push shares the same pair objects (stored label pairs are never mutated).
 */
export function groupingPairs(grouping: GroupingLabels): readonly LabelPair[] {
  return Object.keys(grouping).map((name) => ({ name, value: grouping[name] as string }));
}

/**
 * Forces the grouping labels onto every metric of `family` (overwriting body
 * labels of the same name), adds `instance=""` when a metric has no instance
 * label, and sorts each metric's labels by name. `groupingLabels` is
 * {@linkcode groupingPairs} of `grouping`. Mutates `family`, which must be
 * freshly parsed and not shared.
 */
export function sanitizeFamily(
  family: MetricFamily,
  grouping: GroupingLabels,
  groupingLabels: readonly LabelPair[],
): void {
  for (const metric of family.metric) {
    const labels: LabelPair[] = [];
    let hasInstance = false;
    for (const pair of metric.label) {
      if (Object.hasOwn(grouping, pair.name)) continue;
      if (pair.name === "instance") hasInstance = true;
      labels.push(pair);
    }
    for (const pair of groupingLabels) {
      if (pair.name === "instance") hasInstance = true;
      labels.push(pair);
    }
    if (!hasInstance) labels.push(EMPTY_INSTANCE);
    labels.sort(byName);
    // A copy of exactly this length: arrays grown by push keep spare capacity.
    metric.label = labels.slice();
  }
}

/** The labels of a synthetic per-group gauge: the grouping labels plus `instance=""` when absent, sorted. */
export function groupSeriesLabels(
  grouping: GroupingLabels,
  pairs: readonly LabelPair[] = groupingPairs(grouping),
): LabelPair[] {
  const labels = Object.hasOwn(grouping, "instance") ? pairs.slice() : pairs.concat(EMPTY_INSTANCE);
  return labels.sort(byName);
}

/** Builds a synthetic gauge family (`push_time_seconds` and friends) with one series. */
export function timestampGauge(
  name: string,
  help: string,
  grouping: GroupingLabels,
  seconds: number,
  pairs?: readonly LabelPair[],
): MetricFamily {
  const metric: Metric = { label: groupSeriesLabels(grouping, pairs), gauge: { value: seconds } };
  return { name, help, type: MetricType.GAUGE, metric: [metric] };
}
