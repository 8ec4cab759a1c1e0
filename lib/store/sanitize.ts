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

/**
 * Forces the grouping labels onto every metric of `family` (overwriting body
 * labels of the same name), adds `instance=""` when a metric has no instance
 * label, and sorts each metric's labels by name. Mutates `family`, which must
 * be freshly parsed and not shared.
 */
export function sanitizeFamily(family: MetricFamily, grouping: GroupingLabels): void {
  const groupingNames = Object.keys(grouping);
  for (const metric of family.metric) {
    const labels: LabelPair[] = [];
    let hasInstance = false;
    for (const pair of metric.label) {
      if (Object.hasOwn(grouping, pair.name)) continue;
      if (pair.name === "instance") hasInstance = true;
      labels.push(pair);
    }
    for (const name of groupingNames) {
      if (name === "instance") hasInstance = true;
      labels.push({ name, value: grouping[name] as string });
    }
    if (!hasInstance) labels.push({ name: "instance", value: "" });
    labels.sort(byName);
    metric.label = labels;
  }
}

/** The labels of a synthetic per-group gauge: the grouping labels plus `instance=""` when absent, sorted. */
export function groupSeriesLabels(grouping: GroupingLabels): LabelPair[] {
  const labels: LabelPair[] = Object.keys(grouping).map((name) => ({
    name,
    value: grouping[name] as string,
  }));
  if (!Object.hasOwn(grouping, "instance")) labels.push({ name: "instance", value: "" });
  return labels.sort(byName);
}

/** Builds a synthetic gauge family (`push_time_seconds` and friends) with one series. */
export function timestampGauge(
  name: string,
  help: string,
  grouping: GroupingLabels,
  seconds: number,
): MetricFamily {
  const metric: Metric = { label: groupSeriesLabels(grouping), gauge: { value: seconds } };
  return { name, help, type: MetricType.GAUGE, metric: [metric] };
}
