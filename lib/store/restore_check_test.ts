import { assert, assertEquals, assertStrictEquals, assertStringIncludes } from "@std/assert";
import { emptyHistogram, type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { groupingPairs, sanitizeFamily, timestampGauge } from "@lib/store/sanitize.ts";
import { describeGroup, lastPushOf, selectConsistentGroups } from "@lib/store/restore_check.ts";
import {
  type Group,
  type GroupingLabels,
  PUSH_FAILURE_TIME_HELP,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_HELP,
  PUSH_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";

function family(name: string, type: MetricType, metrics: Partial<Metric>[]): MetricFamily {
  return {
    name,
    type,
    help: `help of ${name}`,
    metric: metrics.map((m) => ({ label: [], ...m })),
  };
}

const gauge = (name: string, value = 1, label: Metric["label"] = []) =>
  family(name, MetricType.GAUGE, [{ label, gauge: { value } }]);
const counter = (name: string, value = 1) =>
  family(name, MetricType.COUNTER, [{ counter: { value } }]);

/** A group as upstream's store leaves it: sanitised families pushed at `pushedMs`, both gauges. */
function group(labels: GroupingLabels, pushedMs: number, families: MetricFamily[]): Group {
  const pairs = groupingPairs(labels);
  const map = new Map<string, StoredFamily>();
  for (const f of families) {
    sanitizeFamily(f, labels, pairs);
    map.set(f.name, { family: f, lastPushMs: pushedMs });
  }
  const push = timestampGauge(PUSH_TIME_METRIC, PUSH_TIME_HELP, labels, pushedMs / 1000, pairs);
  const fail = timestampGauge(PUSH_FAILURE_TIME_METRIC, PUSH_FAILURE_TIME_HELP, labels, 0, pairs);
  map.set(PUSH_TIME_METRIC, { family: push, lastPushMs: pushedMs });
  map.set(PUSH_FAILURE_TIME_METRIC, { family: fail, lastPushMs: pushedMs });
  return { labels, families: map };
}

Deno.test("selectConsistentGroups() keeps consistent groups unchanged, in last-push order", () => {
  const a = group({ job: "a" }, 3000, [gauge("x"), counter("c_total")]);
  const b = group({ job: "b", instance: "i" }, 1000, [gauge("x")]);
  const c = group({ job: "c" }, 2000, [gauge("y")]);
  const { kept, leftOut } = selectConsistentGroups([a, b, c]);
  assertEquals(leftOut, []);
  assertEquals(kept.length, 3);
  assertStrictEquals(kept[0], b);
  assertStrictEquals(kept[1], c);
  assertStrictEquals(kept[2], a);
  // The families and their times are the file's, not the replay's.
  assertStrictEquals(kept[2]!.families.get("x"), a.families.get("x"));
});

Deno.test("selectConsistentGroups() leaves out the later of two groups whose types contradict", () => {
  const early = group({ job: "early" }, 1000, [gauge("m")]);
  const late = group({ job: "late" }, 2000, [counter("m")]);
  for (const input of [[early, late], [late, early]]) {
    const { kept, leftOut } = selectConsistentGroups(input);
    assertEquals(kept, [early]);
    assertEquals(leftOut.length, 1);
    assertStrictEquals(leftOut[0]!.group, late);
    assertStringIncludes(leftOut[0]!.reason, 'collected metric "m"');
    assertStringIncludes(leftOut[0]!.reason, "is not a GAUGE");
  }
  // When the counter was pushed first, the gauge group goes.
  const swapped = selectConsistentGroups([
    group({ job: "early" }, 3000, [gauge("m")]),
    group({ job: "late" }, 2000, [counter("m")]),
  ]);
  assertEquals(swapped.kept.map((g) => g.labels.job), ["late"]);
});

Deno.test("selectConsistentGroups() leaves out a group that repeats another group's series", () => {
  // {job="a"} pushed a series labelled instance="i": the same series as group {job="a",instance="i"}.
  const owner = group({ job: "a" }, 1000, [gauge("m", 1, [{ name: "instance", value: "i" }])]);
  const clash = group({ job: "a", instance: "i" }, 2000, [gauge("m", 2)]);
  const { kept, leftOut } = selectConsistentGroups([clash, owner]);
  assertEquals(kept, [owner]);
  assertStrictEquals(leftOut[0]!.group, clash);
  assertStringIncludes(
    leftOut[0]!.reason,
    "was collected before with the same name and label values",
  );
});

Deno.test("selectConsistentGroups() leaves out suffix collisions and clashes with the gateway's own families", () => {
  const hist = family("h", MetricType.HISTOGRAM, [{
    histogram: {
      ...emptyHistogram(),
      sampleCount: 1,
      sampleSum: 1,
      bucket: [{ cumulativeCount: 1, upperBound: Infinity }],
    },
  }]);
  const h = group({ job: "h" }, 1000, [hist]);
  const count = group({ job: "k" }, 2000, [counter("h_count")]);
  const own = group({ job: "o" }, 3000, [counter("pushgateway_build_info")]);
  const { kept, leftOut } = selectConsistentGroups(
    [h, count, own],
    new Map([["pushgateway_build_info", {
      type: MetricType.GAUGE,
      help: "x",
      otherHelp: "rewrite" as const,
    }]]),
  );
  assertEquals(kept, [h]);
  assertEquals(leftOut.map((l) => l.group.labels.job), ["k", "o"]);
  assertStringIncludes(leftOut[0]!.reason, "collides with");
  assertStringIncludes(leftOut[1]!.reason, "has type COUNTER but should have GAUGE");
});

Deno.test("selectConsistentGroups() leaves out groups upstream's store could not have written", () => {
  const first = group({ job: "a" }, 1000, [gauge("x")]);
  const twin = group({ job: "a" }, 2000, [gauge("y")]);
  const unlabelled = group({ job: "u" }, 3000, []);
  (unlabelled.families as Map<string, StoredFamily>).set("raw", {
    family: gauge("raw"), // no job/instance labels on the series
    lastPushMs: 3000,
  });
  const badGauge = group({ job: "g" }, 4000, []);
  (badGauge.families as Map<string, StoredFamily>).set(PUSH_TIME_METRIC, {
    family: counter(PUSH_TIME_METRIC),
    lastPushMs: 4000,
  });
  const { kept, leftOut } = selectConsistentGroups([badGauge, unlabelled, twin, first]);
  assertEquals(kept, [first]);
  assertEquals(leftOut.map((l) => [l.group.labels.job, l.reason]), [
    ["a", "a group with the same grouping labels was restored before"],
    ["u", "the series of raw do not carry the grouping labels"],
    ["g", "push_time_seconds is not one gauge labelled with the grouping labels"],
  ]);
});

Deno.test("selectConsistentGroups() does not change the groups it is given", () => {
  const a = group({ job: "a" }, 1000, [gauge("x")]);
  const before = structuredClone([...a.families.values()].map((s) => s.family));
  selectConsistentGroups([a, group({ job: "b" }, 2000, [counter("x")])]);
  assertEquals([...a.families.values()].map((s) => s.family), before);
});

Deno.test("lastPushOf() and describeGroup()", () => {
  const g = group({ job: "j", b: "2", a: "1" }, 5000, []);
  (g.families as Map<string, StoredFamily>).set(PUSH_FAILURE_TIME_METRIC, {
    family: g.families.get(PUSH_FAILURE_TIME_METRIC)!.family,
    lastPushMs: 7000,
  });
  assertEquals(lastPushOf(g), 7000);
  assertEquals(describeGroup(g.labels), '{job="j",a="1",b="2"}');
  assert(describeGroup({ job: 'q"' }).includes('job="q\\""'));
});
