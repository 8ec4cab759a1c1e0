import { assert, assertEquals, assertMatch, assertStrictEquals } from "@std/assert";
import { emptyHistogram, type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { seriesHash } from "@lib/store/series_index.ts";
import { StoreState } from "@lib/store/state.ts";
import type { OwnFamily, PushRefusal } from "@lib/store/store.ts";
import { PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC } from "@lib/store/types.ts";

function metric(labels: Record<string, string>, value: number, type: MetricType): Metric {
  const label = Object.entries(labels).map(([name, v]) => ({ name, value: v }));
  switch (type) {
    case MetricType.COUNTER:
      return { label, counter: { value } };
    case MetricType.UNTYPED:
      return { label, untyped: { value } };
    case MetricType.SUMMARY:
      return { label, summary: { sampleCount: 1, sampleSum: value, quantile: [] } };
    case MetricType.HISTOGRAM:
    case MetricType.GAUGE_HISTOGRAM:
      return { label, histogram: { ...emptyHistogram(), sampleCount: 1, sampleSum: value } };
    default:
      return { label, gauge: { value } };
  }
}

function fam(
  name: string,
  type: MetricType = MetricType.GAUGE,
  series: Record<string, string>[] = [{}],
  help?: string,
): MetricFamily {
  const f: MetricFamily = { name, type, metric: series.map((l, i) => metric(l, i + 1, type)) };
  if (help !== undefined) f.help = help;
  return f;
}

/** A push result without its sequence number (and its cause when that is the consistency check). */
type Outcome =
  | { ok: true }
  | { ok: false; cause?: PushRefusal; error: string; failureNotRecorded?: string };

function push(
  store: StoreState,
  labels: Record<string, string>,
  families: MetricFamily[],
  replace = true,
  timeMs = 1_000_000,
): Outcome {
  const result = store.push({ labels, families, replace, timeMs });
  if (result.ok) return { ok: true };
  const { seq: _, cause, ...rest } = result;
  return cause === "inconsistent" ? rest : { cause, ...rest };
}

function gauge(
  store: StoreState,
  labels: Record<string, string>,
  name: string,
): number | undefined {
  return store.group(labels)?.families.get(name)?.family.metric[0]?.gauge?.value;
}

Deno.test("a push creates the group with sanitised labels and both timestamp gauges", () => {
  const store = new StoreState();
  const f = fam("m", MetricType.GAUGE, [{ job: "body", z: "1", a: "2" }]);
  assertEquals(push(store, { job: "j", a: "x" }, [f], true, 1_500), { ok: true });
  const stored = store.group({ job: "j", a: "x" })?.families.get("m")?.family.metric[0];
  assertEquals(stored?.label, [
    { name: "a", value: "x" },
    { name: "instance", value: "" },
    { name: "job", value: "j" },
    { name: "z", value: "1" },
  ]);
  assertEquals(gauge(store, { job: "j", a: "x" }, PUSH_TIME_METRIC), 1.5);
  assertEquals(gauge(store, { job: "j", a: "x" }, PUSH_FAILURE_TIME_METRIC), 0);
});

Deno.test("a body instance label is kept unless instance is a grouping label", () => {
  const store = new StoreState();
  push(store, { job: "j" }, [fam("m", MetricType.GAUGE, [{ instance: "body" }])]);
  assertEquals(
    store.group({ job: "j" })?.families.get("m")?.family.metric[0]?.label[0],
    { name: "instance", value: "body" },
  );
});

Deno.test("PUT replaces the group; POST replaces only same-named families", () => {
  const store = new StoreState();
  push(store, { job: "j" }, [fam("a"), fam("b")]);
  push(store, { job: "j" }, [fam("b", MetricType.COUNTER)], false);
  const names = () => [...(store.group({ job: "j" })?.families.keys() ?? [])].sort();
  assertEquals(names(), ["a", "b", PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC]);
  assertEquals(store.group({ job: "j" })?.families.get("b")?.family.type, MetricType.COUNTER);
  push(store, { job: "j" }, [fam("c")], true);
  assertEquals(names(), ["c", PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC]);
  push(store, { job: "j" }, [], true);
  assertEquals(names(), [PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC]);
});

Deno.test("a pushed push_time_seconds is always replaced by the push time", () => {
  const store = new StoreState();
  push(store, { job: "j" }, [fam(PUSH_TIME_METRIC, MetricType.UNTYPED)], true, 2_000);
  assertEquals(gauge(store, { job: "j" }, PUSH_TIME_METRIC), 2);
  push(store, { job: "j" }, [fam(PUSH_TIME_METRIC, MetricType.COUNTER)], false, 3_000);
  assertEquals(gauge(store, { job: "j" }, PUSH_TIME_METRIC), 3);
  assertEquals(store.mergedFamily(PUSH_TIME_METRIC)?.type, MetricType.GAUGE);
});

Deno.test("a pushed push_failure_time_seconds: zero in a new group, kept in an existing one", () => {
  const store = new StoreState();
  // A new group starts with a zero failure time, whatever was pushed (upstream).
  const typed = fam(PUSH_FAILURE_TIME_METRIC, MetricType.COUNTER, [{}], "mine");
  assertEquals(push(store, { job: "j" }, [typed], true, 2_000), { ok: true });
  assertEquals(gauge(store, { job: "j" }, PUSH_FAILURE_TIME_METRIC), 0);
  // An existing group stores the pushed family as it came, POST and PUT alike, any type.
  const untyped = fam(PUSH_FAILURE_TIME_METRIC, MetricType.UNTYPED);
  assertEquals(push(store, { job: "j" }, [untyped], false, 3_000), { ok: true });
  const stored = store.group({ job: "j" })?.families.get(PUSH_FAILURE_TIME_METRIC)?.family;
  assertEquals(stored?.type, MetricType.UNTYPED);
  assertEquals(stored?.metric[0]?.untyped?.value, 1);
  const gaugeFamily = fam(PUSH_FAILURE_TIME_METRIC, MetricType.GAUGE, [{}], "mine");
  (gaugeFamily.metric[0] as Metric).gauge = { value: 9 };
  assertEquals(push(store, { job: "j" }, [gaugeFamily], true, 4_000), { ok: true });
  assertEquals(gauge(store, { job: "j" }, PUSH_FAILURE_TIME_METRIC), 9);
  assertEquals(store.mergedFamily(PUSH_FAILURE_TIME_METRIC)?.help, "mine");
  assertEquals(gauge(store, { job: "j" }, PUSH_TIME_METRIC), 4);
});

Deno.test("a pushed push_failure_time_seconds must agree with the other groups' ones", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("x")]);
  push(store, { job: "b" }, [fam("x", MetricType.GAUGE, [{ i: "1" }])]);
  const res = push(store, { job: "b" }, [fam(PUSH_FAILURE_TIME_METRIC, MetricType.COUNTER)]);
  assert(!res.ok);
  assertMatch(res.error, /^collected metric "push_failure_time_seconds" \{ .*\} is not a GAUGE$/);
  // The refusal itself is recorded as a gauge, like any refused push.
  assert(gauge(store, { job: "b" }, PUSH_FAILURE_TIME_METRIC)! > 0);
});

Deno.test("a new group is refused, not created, while the only failure time is of another type", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("x")]);
  push(store, { job: "a" }, [fam(PUSH_FAILURE_TIME_METRIC, MetricType.UNTYPED)], false);
  // Upstream refuses this push too, but then creates the group, and every scrape fails after.
  const res = push(store, { job: "f" }, [fam("y")]);
  assert(!res.ok);
  assertEquals(
    res.error,
    'collected metric "push_failure_time_seconds" { label:<name:"instance" value:"" > ' +
      'label:<name:"job" value:"f" > gauge:<value:0 > } is not a UNTYPED',
  );
  assertEquals(res.failureNotRecorded, res.error);
  assertEquals(store.group({ job: "f" }), undefined);
  assertEquals(store.mergedFamily(PUSH_FAILURE_TIME_METRIC)?.size, 1);
  // Once group a holds a gauge again, new groups are welcome.
  push(store, { job: "a" }, [fam(PUSH_FAILURE_TIME_METRIC, MetricType.GAUGE)], false);
  assertEquals(push(store, { job: "f" }, [fam("y")]), { ok: true });
});

Deno.test("timestamps are rejected and the failure is recorded on a new group", () => {
  const store = new StoreState();
  const f = fam("m");
  (f.metric[0] as Metric).timestampMs = 5;
  const res = push(store, { job: "ts" }, [f], true, 7_000);
  assertEquals(res, { ok: false, error: "pushed metrics must not have timestamps" });
  assertEquals(gauge(store, { job: "ts" }, PUSH_TIME_METRIC), 0);
  assertEquals(gauge(store, { job: "ts" }, PUSH_FAILURE_TIME_METRIC), 7);
  assertEquals(store.group({ job: "ts" })?.families.has("m"), false);
});

Deno.test("of same-named families in one push the later wins, also over one with timestamps", () => {
  const store = new StoreState();
  const stamped = fam("m", MetricType.GAUGE, [{ a: "1" }]);
  (stamped.metric[0] as Metric).timestampMs = 5;
  const later = fam("m", MetricType.COUNTER, [{ b: "2" }]);
  assertEquals(push(store, { job: "j" }, [stamped, fam("n"), later]), { ok: true });
  const group = store.group({ job: "j" });
  assertEquals([...(group?.families.keys() ?? [])].slice(0, 2), ["m", "n"]);
  assertEquals(group?.families.get("m")?.family, later);
  assertEquals(gauge(store, { job: "j" }, PUSH_FAILURE_TIME_METRIC), 0);

  const earlier = fam("m", MetricType.COUNTER);
  const stampedLater = fam("m", MetricType.COUNTER);
  (stampedLater.metric[0] as Metric).timestampMs = 5;
  assertEquals(push(store, { job: "j" }, [earlier, stampedLater], true, 3_000), {
    ok: false,
    error: "pushed metrics must not have timestamps",
  });
  assertEquals(store.group({ job: "j" })?.families.get("m")?.family, later);
});

Deno.test("a later success keeps the failure time", () => {
  const store = new StoreState();
  const bad = fam("m");
  (bad.metric[0] as Metric).timestampMs = 1;
  push(store, { job: "j" }, [bad], true, 1_000);
  push(store, { job: "j" }, [fam("m")], true, 2_000);
  assertEquals(gauge(store, { job: "j" }, PUSH_FAILURE_TIME_METRIC), 1);
  assertEquals(gauge(store, { job: "j" }, PUSH_TIME_METRIC), 2);
});

Deno.test("type clashes across groups are rejected with client_golang's text", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("m", MetricType.GAUGE)]);
  const res = push(store, { job: "b" }, [fam("m", MetricType.COUNTER)], true, 9_000);
  assert(!res.ok);
  assertMatch(res.error, /^collected metric "m" \{ .*counter:<value:1 > .*\} is not a GAUGE$/);
  assertEquals(gauge(store, { job: "b" }, PUSH_FAILURE_TIME_METRIC), 9);
  assertEquals(store.group({ job: "b" })?.families.has("m"), false);
});

Deno.test("the only owner of a family may change its type", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("m", MetricType.GAUGE)]);
  assertEquals(push(store, { job: "a" }, [fam("m", MetricType.COUNTER)]), { ok: true });
  assertEquals(push(store, { job: "b" }, [fam("m", MetricType.COUNTER)]), { ok: true });
});

Deno.test("type clashes with the gateway's own metrics are rejected", () => {
  const own = new Map<string, OwnFamily>([["process_cpu_seconds_total", {
    type: MetricType.COUNTER,
    help: "Total user and system CPU time spent in seconds.",
    otherHelp: "rewrite",
  }]]);
  const store = new StoreState(own);
  const res = push(store, { job: "a" }, [fam("process_cpu_seconds_total", MetricType.GAUGE)]);
  assert(!res.ok);
  assertEquals(
    res.error,
    "gathered metric family process_cpu_seconds_total has type GAUGE but should have COUNTER",
  );
  push(store, { job: "a" }, [fam("process_cpu_seconds_total", MetricType.COUNTER, [{}], "other")]);
  assertEquals(
    store.mergedFamily("process_cpu_seconds_total")?.help,
    own.get(
      "process_cpu_seconds_total",
    )?.help,
  );
});

Deno.test("the gateway's request families refuse another help, before the type", () => {
  const help = "Total HTTP requests processed by the Pushgateway, excluding scrapes.";
  const name = "pushgateway_http_requests_total";
  const own = new Map<string, OwnFamily>([[name, {
    type: MetricType.COUNTER,
    help,
    otherHelp: "refuse",
  }]]);
  const store = new StoreState(own);
  assertEquals(push(store, { job: "a" }, [fam(name, MetricType.GAUGE, [{}], "mine")]), {
    ok: false,
    error: `gathered metric family ${name} has help "mine" but should have "${help}"`,
  });
  assertEquals(push(store, { job: "a" }, [fam(name, MetricType.COUNTER, [{ x: "1" }])]), {
    ok: false,
    error: `gathered metric family ${name} has help "" but should have "${help}"`,
  });
  assertEquals(push(store, { job: "a" }, [fam(name, MetricType.GAUGE, [{}], help)]), {
    ok: false,
    error: `gathered metric family ${name} has type GAUGE but should have COUNTER`,
  });
  assertEquals(push(store, { job: "a" }, [fam(name, MetricType.COUNTER, [{}], help)]), {
    ok: true,
  });
  assertEquals(store.mergedFamily(name)?.help, help);
});

Deno.test("identical series across groups and within a push are rejected", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("d", MetricType.GAUGE, [{ x: "1" }])]);
  const res = push(store, { job: "a", x: "1" }, [fam("d")]);
  assert(!res.ok);
  assertMatch(res.error, /^collected metric "d" \{ .*\} was collected before with the same name/);
  const twice = push(store, { job: "b" }, [fam("e", MetricType.GAUGE, [{ y: "1" }, { y: "1" }])]);
  assert(!twice.ok);
  assertMatch(twice.error, /was collected before/);
});

Deno.test("several errors are joined like prometheus.MultiError", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("m", MetricType.GAUGE, [{ x: "1" }, { x: "2" }])]);
  const res = push(store, { job: "b" }, [fam("m", MetricType.COUNTER, [{ x: "1" }, { x: "2" }])]);
  assert(!res.ok);
  assertMatch(res.error, /^2 error\(s\) occurred:\n\* collected metric .*\n\* collected metric/);
});

Deno.test("summary and histogram suffix collisions are rejected both ways", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("s", MetricType.SUMMARY)]);
  const res = push(store, { job: "b" }, [fam("s_count", MetricType.UNTYPED)]);
  assertEquals(res, {
    ok: false,
    error: 'collected metric named "s_count" collides with previously collected summary named "s"',
  });
  push(store, { job: "c" }, [fam("t_sum", MetricType.UNTYPED)]);
  const res2 = push(store, { job: "d" }, [fam("t", MetricType.SUMMARY)]);
  assertEquals(res2, {
    ok: false,
    error:
      'collected histogram or summary named "t" collides with previously collected metric named "t_sum"',
  });
  // A summary's _bucket sibling is fine.
  assertEquals(push(store, { job: "e" }, [fam("s_bucket", MetricType.UNTYPED)]), { ok: true });
});

Deno.test("gauge histograms collide and type-check like histograms (stricter than client_golang)", () => {
  // The text format renders a gauge histogram as a histogram: `g_count` beside it would repeat a
  // metric name, and a metric without histogram data could not be rendered at all.
  const store = new StoreState();
  assertEquals(push(store, { job: "a" }, [fam("g", MetricType.GAUGE_HISTOGRAM)]), { ok: true });
  assertEquals(push(store, { job: "b" }, [fam("g_count", MetricType.UNTYPED)]), {
    ok: false,
    error:
      'collected metric named "g_count" collides with previously collected histogram named "g"',
  });
  push(store, { job: "c" }, [fam("h_bucket", MetricType.UNTYPED)]);
  assertEquals(push(store, { job: "d" }, [fam("h", MetricType.GAUGE_HISTOGRAM)]), {
    ok: false,
    error:
      'collected histogram named "h" collides with previously collected metric named "h_bucket"',
  });
  const untyped = push(store, { job: "e" }, [fam("g", MetricType.UNTYPED)]);
  assert(!untyped.ok);
  assertMatch(
    untyped.error,
    /^collected metric "g" \{ .*untyped:<value:1 > \} is not a GAUGE_HISTOGRAM$/,
  );
  const noData: MetricFamily = {
    name: "k",
    type: MetricType.GAUGE_HISTOGRAM,
    metric: [metric({}, 1, MetricType.UNTYPED)],
  };
  const bad = push(store, { job: "f" }, [noData]);
  assert(!bad.ok);
  assertMatch(bad.error, /is not a GAUGE_HISTOGRAM$/);
  assertEquals(store.mergedFamily("g")?.size, 1);
  assertEquals(store.mergedFamily("k"), undefined);
});

Deno.test("bad label names and an explicit quantile label are rejected", () => {
  const store = new StoreState();
  const res = push(store, { job: "a" }, [fam("m", MetricType.GAUGE, [{ __x: "1" }])]);
  assert(!res.ok);
  assertMatch(res.error, /has a label with an invalid name: __x$/);
  const q = push(store, { job: "a" }, [fam("s", MetricType.SUMMARY, [{ quantile: "0.5" }])]);
  assert(!q.ok);
  assertMatch(q.error, /must not have an explicit "quantile" label$/);
});

Deno.test("a histogram with an explicit le label is rejected, also via the grouping key", () => {
  // Stricter than client_golang: the bucket lines would carry `le` twice, and Prometheus refuses
  // the whole scrape.
  const store = new StoreState();
  for (const type of [MetricType.HISTOGRAM, MetricType.GAUGE_HISTOGRAM]) {
    const body = push(store, { job: "a" }, [fam("h", type, [{ le: "1" }])]);
    assert(!body.ok);
    assertMatch(body.error, /^collected metric "h" \{ .*\} must not have an explicit "le" label$/);
    const grouping = push(store, { job: "a", le: "x" }, [fam("h", type)]);
    assert(!grouping.ok);
    assertMatch(grouping.error, /must not have an explicit "le" label$/);
  }
  assertEquals(store.mergedFamily("h"), undefined);
  // Other types may carry an le label.
  assertEquals(push(store, { job: "a", le: "x" }, [fam("g", MetricType.GAUGE)]), { ok: true });
});

Deno.test("a value field that does not match the family type is rejected", () => {
  const store = new StoreState();
  const f: MetricFamily = {
    name: "m",
    type: MetricType.GAUGE,
    metric: [{ label: [], counter: {} }],
  };
  const res = push(store, { job: "a" }, [f]);
  assert(!res.ok);
  assertMatch(res.error, /is not a GAUGE$/);
});

Deno.test("upstream's poisoning sequence (docs/upstream.md §4.6) leaves the store usable", () => {
  const store = new StoreState();
  assertEquals(push(store, { job: "ts" }, []), { ok: true });
  const res = push(store, { job: "ts", instance: "" }, []);
  assert(!res.ok);
  assertMatch(res.error, /"push_time_seconds" .* was collected before/);
  assert(res.failureNotRecorded !== undefined);
  assertEquals(store.group({ job: "ts", instance: "" }), undefined);
  assertEquals(push(store, { job: "other" }, [fam("m")]), { ok: true });
  assertEquals(store.size, 2);
});

Deno.test("a failure on an existing group is recorded even when a new group would clash", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("m", MetricType.GAUGE)]);
  push(store, { job: "b" }, [fam("n")]);
  push(store, { job: "b" }, [fam("m", MetricType.COUNTER)], true, 4_000);
  assertEquals(gauge(store, { job: "b" }, PUSH_FAILURE_TIME_METRIC), 4);
  assertEquals(store.group({ job: "b" })?.families.has("n"), true);
});

Deno.test("delete and wipe remove groups and free names for other types", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("m", MetricType.GAUGE)]);
  push(store, { job: "b" }, [fam("m", MetricType.GAUGE, [{ x: "1" }])]);
  store.delete({ labels: { job: "a" } });
  store.delete({ labels: { job: "missing" } });
  assertEquals(store.size, 1);
  store.wipe();
  assertEquals(store.size, 0);
  assertEquals(store.familyNames(), []);
  assertEquals(push(store, { job: "c" }, [fam("m", MetricType.COUNTER)]), { ok: true });
});

Deno.test("groups() is sorted and kept until the next write", () => {
  const store = new StoreState();
  push(store, { job: "b" }, [fam("m")]);
  push(store, { job: "a" }, [fam("m", MetricType.GAUGE, [{ x: "1" }])]);
  const groups = store.groups();
  assertEquals(groups.map((g) => g.labels.job), ["a", "b"]);
  assertStrictEquals(store.groups(), groups);
  push(store, { job: "c" }, [fam("n")]);
  assertEquals(store.groups().map((g) => g.labels.job), ["a", "b", "c"]);
  assertEquals(groups.map((g) => g.labels.job), ["a", "b"], "an earlier answer is not changed");
  store.delete({ labels: { job: "a" } });
  assertEquals(store.groups().map((g) => g.labels.job), ["b", "c"]);
});

Deno.test("restore() replaces the family names and the groups", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("m")]);
  assertEquals(store.familyNames(), ["m", PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC]);
  assertEquals(store.groups().length, 1);
  store.restore([]);
  assertEquals(store.familyNames(), []);
  assertEquals(store.groups(), []);
  store.restore([{ labels: { job: "b" }, families: new Map() }]);
  assertEquals(store.familyNames(), []);
  assertEquals(store.groups().map((g) => g.labels.job), ["b"]);
});

Deno.test("merged families: series in client_golang order, deterministic help, stable identity", () => {
  const store = new StoreState();
  push(store, { job: "b" }, [fam("m", MetricType.GAUGE, [{}], "help of b")]);
  push(store, { job: "a" }, [fam("m", MetricType.GAUGE, [{ foo: "" }], "help of a")]);
  const merged = store.mergedFamily("m");
  assertEquals(merged?.help, "help of a");
  assertEquals(merged?.series().map((m) => m.label.map((l) => l.value).join(",")), [
    ",b",
    ",,a",
  ]);
  assertStrictEquals(store.mergedFamily("m"), merged);
  push(store, { job: "c" }, [fam("other")]);
  assertStrictEquals(store.mergedFamily("m"), merged);
  push(store, { job: "c" }, [fam("m", MetricType.GAUGE, [{ z: "1" }])], false);
  assert(store.mergedFamily("m") !== merged);
});

Deno.test("snapshot() is a point-in-time copy unaffected by later writes", () => {
  const store = new StoreState();
  push(store, { job: "a" }, [fam("m")]);
  const snap = store.snapshot();
  push(store, { job: "a" }, [fam("n")], true);
  assertEquals([...(snap[0]?.families.keys() ?? [])].sort(), [
    "m",
    PUSH_FAILURE_TIME_METRIC,
    PUSH_TIME_METRIC,
  ]);
  const restored = new StoreState();
  restored.restore(snap);
  assertEquals(restored.group({ job: "a" })?.families.has("m"), true);
  assert(
    !restored.push({
      labels: { job: "b" },
      families: [fam("m", MetricType.COUNTER)],
      replace: true,
      timeMs: 1,
    }).ok,
  );
});

Deno.test("a restored family whose owners disagree on the type takes the remaining owner's", () => {
  // Pushes never let this happen; only a snapshot that was not consistent can.
  const a = new StoreState();
  push(a, { job: "a" }, [fam("m", MetricType.GAUGE)]);
  const b = new StoreState();
  push(b, { job: "b" }, [fam("m", MetricType.COUNTER)]);
  push(b, { job: "c" }, [fam("m", MetricType.COUNTER)]);
  const store = new StoreState();
  store.restore([...a.snapshot(), ...b.snapshot()]);
  assertEquals(store.mergedFamily("m")?.type, MetricType.GAUGE);
  store.delete({ labels: { job: "b" } });
  assertEquals(store.mergedFamily("m")?.type, MetricType.GAUGE);
  store.delete({ labels: { job: "a" } });
  assertEquals(store.mergedFamily("m")?.type, MetricType.COUNTER);
  // All remaining owners agree now: a COUNTER push to another group is consistent.
  assertEquals(push(store, { job: "d" }, [fam("m", MetricType.COUNTER)]), { ok: true });
});

/**
 * Two values of label `x` whose series `{g="a", instance="", job, x}` collide
 * in `seriesHash` (the labels are in sorted order).
 */
function collidingValues(job: string, g = "a"): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; i < 1_000_000; i++) {
    const x = `v${i}`;
    const h = seriesHash([
      { name: "g", value: g },
      { name: "instance", value: "" },
      { name: "job", value: job },
      { name: "x", value: x },
    ]);
    const other = seen.get(h);
    if (other !== undefined) return [other, x];
    seen.set(h, x);
  }
  throw new Error("no collision found");
}

Deno.test("series whose identity hashes collide are told apart exactly", () => {
  const [x1, x2] = collidingValues("j");
  assert(x1 !== x2);
  // A group {job, g} holds series {g, x} via a body label x; a group {job, x}
  // holds the same series via a body label g. S1 and S2 collide.
  const viaG = (x: string) => [fam("m", MetricType.GAUGE, [{ x }])];
  const viaX = () => [fam("m", MetricType.GAUGE, [{ g: "a" }])];
  const a = { job: "j", g: "a" };
  const owner1 = { job: "j", x: x1 }, owner2 = { job: "j", x: x2 };
  const store = new StoreState();
  assertEquals(push(store, a, viaG(x1)), { ok: true }, "A holds S1");
  const clash = push(store, owner1, viaX());
  assertEquals(clash.ok, false, "S1 belongs to A");
  assertMatch(
    (clash as { error: string }).error,
    new RegExp(`name:"x" value:"${x1}".*collected before with the same name and label values`),
  );
  assertEquals(push(store, owner2, viaX()), { ok: true }, "S2 only shares S1's hash");
  // Now both colliding series are indexed: each clashes with its own owner only.
  assertEquals(push(store, owner1, viaX()).ok, false, "S1 still belongs to A");
  assertEquals(push(store, a, viaG(x2)).ok, false, "S2 belongs to {x=x2}");
  assertEquals(push(store, a, viaG(x1)), { ok: true }, "A replaces its own S1");
  assertEquals(push(store, owner2, viaX()), { ok: true }, "{x=x2} replaces its own S2");
  // Deleting S2's owner frees S2; A moves from S1 to S2, which frees S1.
  store.delete({ labels: owner2 });
  assertEquals(push(store, a, viaG(x2)), { ok: true });
  assertEquals(push(store, owner1, viaX()), { ok: true }, "S1 is free");
  assertEquals(push(store, owner2, viaX()).ok, false, "S2 belongs to A");
  assertEquals(store.mergedFamily("m")!.size, 2);
});

Deno.test("colliding series within one push or group are not taken for duplicates", () => {
  const [x1, x2] = collidingValues("k");
  const g = { job: "k", g: "a" };
  const store = new StoreState();
  const both = () => fam("m", MetricType.GAUGE, [{ x: x1 }, { x: x2 }]);
  assertEquals(push(store, g, [both()]), { ok: true });
  const [s1, s2] = store.group(g)!.families.get("m")!.family.metric;
  assertEquals(seriesHash(s1!.label), seriesHash(s2!.label), "the two series collide");
  const dup = fam("m", MetricType.GAUGE, [{ x: x1 }, { x: x2 }, { x: x2 }]);
  assertEquals(push(store, g, [dup]).ok, false, "a real duplicate is still found");
  assertEquals(push(store, g, [both()]), { ok: true }, "the group replaces both");
  // A restored store indexes both series; other groups clash with each one.
  const restored = new StoreState();
  restored.restore(store.snapshot());
  const viaX = () => [fam("m", MetricType.GAUGE, [{ g: "a" }])];
  assertEquals(push(restored, { job: "k", x: x1 }, viaX()).ok, false);
  assertEquals(push(restored, { job: "k", x: x2 }, viaX()).ok, false);
  // Replacing the group with S1 only frees S2, not S1.
  assertEquals(push(restored, g, [fam("m", MetricType.GAUGE, [{ x: x1 }])]), { ok: true });
  assertEquals(push(restored, { job: "k", x: x2 }, viaX()), { ok: true });
  assertEquals(push(restored, { job: "k", x: x1 }, viaX()).ok, false);
});

Deno.test("a restore with a series held by two groups keeps the later owner", () => {
  const source = new StoreState();
  push(source, { job: "j" }, [fam("m", MetricType.GAUGE, [{ x: "1" }])]);
  const [a] = source.snapshot();
  // The same group content under two keys: {job} and {job, instance=""} give equal series.
  const b = { labels: { job: "j", instance: "" }, families: a!.families };
  const store = new StoreState();
  store.restore([a!, b]);
  const again = () => fam("m", MetricType.GAUGE, [{ x: "1" }]);
  assertEquals(push(store, { job: "j" }, [again()]).ok, false, "the index names the later group");
  assertEquals(push(store, { job: "j", instance: "" }, [again()]), { ok: true });
});

Deno.test("the series index a restore defers is the one indexing at restore would have made", () => {
  const source = new StoreState();
  push(source, { job: "j" }, [fam("m", MetricType.GAUGE, [{ x: "1" }])]);
  const [a] = source.snapshot();
  const b = { labels: { job: "j", instance: "" }, families: a!.families };
  const again = () => fam("m", MetricType.GAUGE, [{ x: "1" }]);
  // A delete comes first: the later owner's identity goes, the earlier owner's row is not
  // indexed again (as when the index was built row by row at restore).
  const store = new StoreState();
  store.restore([a!, b]);
  store.delete({ labels: b.labels });
  const viaX = () => [fam("m", MetricType.GAUGE, [{}])];
  assertEquals(push(store, { job: "j", x: "1" }, viaX()), { ok: true }, "not indexed for {job}");
  assertEquals(push(store, { job: "j", instance: "" }, [again()]).ok, false, "now the new owner's");
  // A push into another family name leaves this one's index to its own first use.
  const lazy = new StoreState();
  lazy.restore([a!, b]);
  assertEquals(push(lazy, { job: "k" }, [fam("n", MetricType.GAUGE, [{ x: "1" }])]), { ok: true });
  assertEquals(push(lazy, { job: "j" }, [again()]).ok, false, "the later group owns the series");
});

Deno.test("pushed series share the grouping-label pairs and the family name and help", () => {
  const store = new StoreState();
  push(store, { job: "j" }, [fam("m", MetricType.GAUGE, [{ a: "1" }, { a: "2" }], "h")]);
  push(store, { job: "k" }, [fam("m", MetricType.GAUGE, [{ a: "1" }], "h")]);
  const [m1, m2] = store.group({ job: "j" })!.families.get("m")!.family.metric;
  const jobPair = (m: Metric) => m.label.find((l) => l.name === "job");
  assertStrictEquals(jobPair(m1!), jobPair(m2!));
  const time = store.group({ job: "j" })!.families.get(PUSH_TIME_METRIC)!.family.metric[0]!;
  assertStrictEquals(jobPair(time), jobPair(m1!));
  assertEquals(m1!.label, [{ name: "a", value: "1" }, { name: "instance", value: "" }, {
    name: "job",
    value: "j",
  }]);
  assertEquals(store.mergedFamily("m")!.size, 3);
  assertEquals(store.mergedFamily("m")!.help, "h");
});

Deno.test("duplicates against a large family of another group are all found", () => {
  const store = new StoreState();
  const n = 40; // above the size searched linearly
  const series = (other: Record<string, string>) =>
    Array.from({ length: n }, (_, i) => ({ ...other, i: String(i) }));
  assertEquals(
    push(store, { job: "j", g: "a" }, [fam("m", MetricType.GAUGE, series({ h: "b" }))]),
    {
      ok: true,
    },
  );
  const mine = [...series({ g: "a" }), { g: "a", i: "new" }];
  const result = push(store, { job: "j", h: "b" }, [fam("m", MetricType.GAUGE, mine)]);
  assertEquals(result.ok, false);
  const error = (result as { error: string }).error;
  assertEquals(error.match(/was collected before/g)?.length, n);
  assert(!error.includes('value:"new"'));
});

Deno.test("snapshot() carries each group's writeSeq and restore() keeps it (0 when absent)", () => {
  const store = new StoreState();
  store.apply({
    kind: "push",
    labels: { job: "a" },
    families: [fam("m")],
    replace: true,
    timeMs: 1,
  }, 7);
  store.apply({
    kind: "push",
    labels: { job: "b" },
    families: [fam("n")],
    replace: true,
    timeMs: 1,
  }, 9);
  const snap = store.snapshot();
  assertEquals(snap.map((g) => [g.labels.job, g.writeSeq]).sort(), [["a", 7], ["b", 9]]);
  const restored = new StoreState();
  restored.restore(snap);
  assertEquals(restored.group({ job: "a" })?.writeSeq, 7);
  // A conditional delete decides the same on the restored copy as on the original.
  assertEquals(restored.delete({ labels: { job: "a" }, ifNotWrittenSince: 6 }).deleted, false);
  assertEquals(restored.delete({ labels: { job: "b" }, ifNotWrittenSince: 9 }).deleted, true);
  const plain = new StoreState();
  plain.restore(snap.map((g) => ({ labels: g.labels, families: g.families })));
  assertEquals(plain.group({ job: "a" })?.writeSeq, 0);
});
