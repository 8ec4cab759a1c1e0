/**
 * The data the metric store holds, shared by the store, the JSON API, the UI
 * and the snapshot format.
 *
 * @module
 */

import type { MetricFamily } from "@lib/model/metric.ts";

/** Grouping labels: label name → value, `job` always present. */
export type GroupingLabels = Readonly<Record<string, string>>;

/** A family as stored: sanitised (grouping labels applied, `instance` added, labels sorted). */
export interface StoredFamily {
  /** The family. Never mutated once stored. */
  readonly family: MetricFamily;
  /** When the push that wrote this family was received, in Unix epoch milliseconds (may be fractional). */
  readonly lastPushMs: number;
}

/**
 * One group: its grouping labels and its families by name, including the
 * synthetic `push_time_seconds` and `push_failure_time_seconds` gauges.
 */
export interface Group {
  readonly labels: GroupingLabels;
  readonly families: ReadonlyMap<string, StoredFamily>;
}

/** Name of the synthetic gauge holding the last successful push time. */
export const PUSH_TIME_METRIC = "push_time_seconds";
/** Name of the synthetic gauge holding the last failed push time. */
export const PUSH_FAILURE_TIME_METRIC = "push_failure_time_seconds";
/** Help of {@linkcode PUSH_TIME_METRIC}. */
export const PUSH_TIME_HELP =
  "Last Unix time when changing this group in the Pushgateway succeeded.";
/** Help of {@linkcode PUSH_FAILURE_TIME_METRIC}. */
export const PUSH_FAILURE_TIME_HELP =
  "Last Unix time when changing this group in the Pushgateway failed.";

/**
 * The value of one of a group's synthetic gauges ({@linkcode PUSH_TIME_METRIC},
 * {@linkcode PUSH_FAILURE_TIME_METRIC}) in Unix seconds, 0 when absent.
 */
export function pushGaugeValue(group: Group, name: string): number {
  return group.families.get(name)?.family.metric[0]?.gauge?.value ?? 0;
}

/** "Last push successful": false only when the failure time is later than the success time. */
export function lastPushSuccessful(group: Group): boolean {
  return !(pushGaugeValue(group, PUSH_FAILURE_TIME_METRIC) >
    pushGaugeValue(group, PUSH_TIME_METRIC));
}

/**
 * The canonical key of a grouping-label set, independent of label order:
 * the names sorted, each name and value joined with 0xFF, pairs joined with 0xFF
 * (upstream's `model.LabelsToSignature`-free form used for sorting the UI).
 */
export function groupingKey(labels: GroupingLabels): string {
  const names = Object.keys(labels).sort();
  let key = "";
  for (const name of names) {
    if (key !== "") key += "\xff";
    key += name + "\xff" + labels[name];
  }
  return key;
}
