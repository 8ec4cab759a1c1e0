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

/** Where a group's time to live came from, and when the group expires. */
export interface GroupTtl {
  /**
   * True when the group's last accepted push set it with the `Pushgateway-TTL`
   * header (kept across restarts); false when it follows `--push.default-ttl`
   * (recomputed from the group's last push at start).
   */
  readonly fromHeader: boolean;
  /** When the group expires, Unix epoch milliseconds; `undefined`: never. */
  readonly deadlineMs: number | undefined;
}

/** The time to live of a group that follows the default and has no deadline. */
export const NO_TTL: GroupTtl = Object.freeze({ fromHeader: false, deadlineMs: undefined });

/**
 * One group: its grouping labels and its families by name, including the
 * synthetic `push_time_seconds` and `push_failure_time_seconds` gauges (and
 * `push_expiry_time_seconds` while the group has a deadline, in the store's
 * view; snapshots leave it out and carry `ttl` instead).
 */
export interface Group {
  readonly labels: GroupingLabels;
  readonly families: ReadonlyMap<string, StoredFamily>;
  /** The group's time to live; absent (restored from an older format): it follows the default. */
  readonly ttl?: GroupTtl;
}

/** Name of the synthetic gauge holding the last successful push time. */
export const PUSH_TIME_METRIC = "push_time_seconds";
/** Name of the synthetic gauge holding the last failed push time. */
export const PUSH_FAILURE_TIME_METRIC = "push_failure_time_seconds";
/** Name of the synthetic gauge holding the time a group expires (only while it has a deadline). */
export const PUSH_EXPIRY_TIME_METRIC = "push_expiry_time_seconds";
/** Help of {@linkcode PUSH_TIME_METRIC}. */
export const PUSH_TIME_HELP =
  "Last Unix time when changing this group in the Pushgateway succeeded.";
/** Help of {@linkcode PUSH_FAILURE_TIME_METRIC}. */
export const PUSH_FAILURE_TIME_HELP =
  "Last Unix time when changing this group in the Pushgateway failed.";

/** Help of {@linkcode PUSH_EXPIRY_TIME_METRIC}. */
export const PUSH_EXPIRY_TIME_HELP =
  "Unix time when this group will be removed from the Pushgateway, from its time to live.";

/** The names of the synthetic per-group gauges (a PUT replaces every family but these). */
export const SYNTHETIC_METRICS: ReadonlySet<string> = new Set([
  PUSH_TIME_METRIC,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_EXPIRY_TIME_METRIC,
]);

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
