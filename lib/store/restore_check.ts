/**
 * Which restored groups a consistent store can hold. Upstream's store can be
 * poisoned (pushes without the consistency check, or from before a check
 * existed), so an official persistence file may hold groups that contradict
 * each other: one family name with two types, one series in two groups. The
 * groups are replayed in the order of their last push into a fresh
 * {@linkcode StoreState}; a group whose replay is refused is left out, as its
 * push would have been refused by a store that checks. Pure: no I/O.
 *
 * @module
 */

import type { MetricFamily } from "@lib/model/metric.ts";
import { samePairs } from "@lib/store/label_sets.ts";
import { StoreState } from "@lib/store/state.ts";
import type { OwnFamily } from "@lib/store/store.ts";
import { groupingPairs, groupSeriesLabels, sanitizeFamily } from "@lib/store/sanitize.ts";
import {
  type Group,
  groupingKey,
  type GroupingLabels,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_METRIC,
} from "@lib/store/types.ts";
import { MetricType } from "@lib/model/metric.ts";

/** A group that was left out, and why. */
export interface LeftOutGroup {
  /** The group as it was in the file. */
  readonly group: Group;
  /** Why it cannot be restored. */
  readonly reason: string;
}

/** The result of {@linkcode selectConsistentGroups}. */
export interface GroupSelection {
  /** The groups to restore, unchanged, in the order of their last push. */
  readonly kept: Group[];
  /** The groups left out, in the same order. */
  readonly leftOut: LeftOutGroup[];
}

/** The time of a group's last push: the latest push time of any of its families. */
export function lastPushOf(group: Group): number {
  let last = -Infinity;
  for (const stored of group.families.values()) last = Math.max(last, stored.lastPushMs);
  return last;
}

/** A group's labels for a log line: `{job="a",instance="b"}`, `job` first, then by name. */
export function describeGroup(labels: GroupingLabels): string {
  const names = Object.keys(labels).sort((a, b) =>
    a === "job" ? -1 : b === "job" ? 1 : a < b ? -1 : a > b ? 1 : 0
  );
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(",")}}`;
}

/** A copy the store may sanitise in place (it replaces each metric's label array). */
function pushable(family: MetricFamily): MetricFamily {
  return { ...family, metric: family.metric.map((m) => ({ ...m })) };
}

/**
 * Why a group's synthetic gauges are not what upstream's store writes (one
 * gauge series labelled with the grouping labels), or `undefined` when they are.
 */
function syntheticProblem(group: Group): string | undefined {
  const want = groupSeriesLabels(group.labels);
  for (const name of [PUSH_TIME_METRIC, PUSH_FAILURE_TIME_METRIC]) {
    const family = group.families.get(name)?.family;
    if (family === undefined) continue;
    const m = family.metric[0];
    if (
      family.type !== MetricType.GAUGE || family.metric.length !== 1 || m?.gauge === undefined ||
      !samePairs(m.label, want)
    ) {
      return `${name} is not one gauge labelled with the grouping labels`;
    }
  }
  return undefined;
}

/**
 * Orders restored groups by their last push (ties by grouping key) and keeps
 * those that a consistency-checked store accepts in that order. Each group is
 * replayed as a replacing push (`StoreState.push` with `replace: true` and the
 * group's last push time) of copies of its families; the kept groups themselves
 * are returned unchanged, with the families and times of the file.
 *
 * A group is also left out when its series do not carry its grouping labels
 * (the replay would check other labels than the ones restored), or when it
 * repeats the grouping labels of a group kept before it.
 *
 * @param groups The restored groups, in any order.
 * @param own The gateway's own families (names and types pushes must agree with).
 * @returns The kept groups and the left-out ones with their reasons.
 */
export function selectConsistentGroups(
  groups: readonly Group[],
  own: ReadonlyMap<string, OwnFamily> = new Map(),
): GroupSelection {
  const ordered = groups
    .map((group) => ({ group, last: lastPushOf(group), key: groupingKey(group.labels) }))
    .sort((a, b) => a.last - b.last || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const store = new StoreState(own);
  const kept: Group[] = [];
  const leftOut: LeftOutGroup[] = [];
  for (const { group, last } of ordered) {
    if (store.group(group.labels) !== undefined) {
      leftOut.push({ group, reason: "a group with the same grouping labels was restored before" });
      continue;
    }
    const synthetic = syntheticProblem(group);
    if (synthetic) {
      leftOut.push({ group, reason: synthetic });
      continue;
    }
    // The families as a push of them would be stored (sanitised copies): they must be the
    // restored ones, or the replay would check other series than those restored.
    const pairs = groupingPairs(group.labels);
    const copies: MetricFamily[] = [];
    let relabelled: string | undefined;
    for (const [name, stored] of group.families) {
      if (name === PUSH_TIME_METRIC || name === PUSH_FAILURE_TIME_METRIC) continue;
      const copy = pushable(stored.family);
      sanitizeFamily(copy, group.labels, pairs);
      if (!copy.metric.every((m, i) => samePairs(m.label, stored.family.metric[i]!.label))) {
        relabelled ??= name;
      }
      copies.push(copy);
    }
    if (relabelled !== undefined) {
      leftOut.push({
        group,
        reason: `the series of ${relabelled} do not carry the grouping labels`,
      });
      continue;
    }
    const result = store.push({
      labels: group.labels,
      families: copies,
      replace: true,
      timeMs: Number.isFinite(last) ? last : 0,
    });
    if (!result.ok) {
      store.delete({ labels: group.labels }); // a failed push may have created the group
      leftOut.push({ group, reason: result.error });
      continue;
    }
    kept.push(group);
  }
  return { kept, leftOut };
}
