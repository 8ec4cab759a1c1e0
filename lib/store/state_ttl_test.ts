import { assert, assertEquals } from "@std/assert";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { StoreState } from "@lib/store/state.ts";
import type { PushWrite } from "@lib/store/store.ts";
import {
  type Group,
  PUSH_EXPIRY_TIME_METRIC,
  PUSH_FAILURE_TIME_METRIC,
  PUSH_TIME_METRIC,
  type StoredFamily,
} from "@lib/store/types.ts";

const HOUR = 3_600_000;
const JOB = { job: "j" };

function gauge(name: string, series = 1): MetricFamily {
  const metric = [];
  for (let i = 0; i < series; i++) {
    metric.push({ label: [{ name: "i", value: String(i) }], gauge: { value: i } });
  }
  return { name, type: MetricType.GAUGE, metric };
}

function counter(name: string): MetricFamily {
  return { name, type: MetricType.COUNTER, metric: [{ label: [], counter: { value: 1 } }] };
}

function withTimestamp(name: string): MetricFamily {
  return {
    name,
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value: 1 }, timestampMs: 5 }],
  };
}

function push(
  state: StoreState,
  timeMs: number,
  extra: Partial<Omit<PushWrite, "kind" | "timeMs">> = {},
  seq = 0,
) {
  return state.push({ labels: JOB, families: [gauge("m")], replace: true, timeMs, ...extra }, seq);
}

/** The group's `push_expiry_time_seconds` value, or undefined when the group has none. */
function expiryGauge(state: StoreState, labels = JOB): number | undefined {
  return state.group(labels)?.families.get(PUSH_EXPIRY_TIME_METRIC)?.family.metric[0]?.gauge
    ?.value;
}

Deno.test("StoreState without a TTL gives groups no deadline and no expiry gauge", () => {
  const state = new StoreState();
  assert(push(state, 1_000).ok);
  assertEquals(state.group(JOB)?.ttl, { fromHeader: false, deadlineMs: undefined });
  assertEquals(state.familyNames(), ["m", PUSH_FAILURE_TIME_METRIC, PUSH_TIME_METRIC].sort());
  assertEquals(state.mergedFamily(PUSH_EXPIRY_TIME_METRIC), undefined);
});

Deno.test("StoreState: the default TTL sets the deadline from the push time, with its gauge", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  assert(push(state, 1_000).ok);
  assertEquals(state.group(JOB)?.ttl, { fromHeader: false, deadlineMs: 1_000 + HOUR });
  assertEquals(expiryGauge(state), (1_000 + HOUR) / 1000);
  const merged = state.mergedFamily(PUSH_EXPIRY_TIME_METRIC);
  assertEquals(merged?.type, MetricType.GAUGE);
  assertEquals(merged?.metric[0]?.label, [
    { name: "instance", value: "" },
    { name: "job", value: "j" },
  ]);
});

Deno.test("StoreState: a header TTL wins over the default; a header TTL of 0 means never", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  assert(push(state, 1_000, { ttlMs: 5_000 }).ok);
  assertEquals(state.group(JOB)?.ttl, { fromHeader: true, deadlineMs: 6_000 });
  assert(push(state, 2_000, { ttlMs: 0 }).ok);
  assertEquals(state.group(JOB)?.ttl, { fromHeader: true, deadlineMs: undefined });
  assertEquals(expiryGauge(state), undefined);
  assertEquals(state.mergedFamily(PUSH_EXPIRY_TIME_METRIC), undefined);
  // A later push without the header goes back to the default.
  assert(push(state, 3_000, { families: [gauge("other")], replace: false }).ok);
  assertEquals(state.group(JOB)?.ttl, { fromHeader: false, deadlineMs: 3_000 + HOUR });
  assertEquals(expiryGauge(state), (3_000 + HOUR) / 1000);
});

Deno.test("StoreState: each accepted push extends the deadline, a refused one does not", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  assert(push(state, 1_000).ok);
  assert(push(state, 2_000, { replace: false }).ok);
  assertEquals(state.group(JOB)?.ttl.deadlineMs, 2_000 + HOUR);
  // Refused (a timestamp), with a longer header TTL: the failure time is recorded, the TTL kept.
  const bad = push(state, 4_000, { families: [withTimestamp("m")], ttlMs: 10 * HOUR }, 7);
  assert(!bad.ok);
  assertEquals(bad.cause, "inconsistent");
  assertEquals(state.group(JOB)?.ttl, { fromHeader: false, deadlineMs: 2_000 + HOUR });
  assertEquals(expiryGauge(state), (2_000 + HOUR) / 1000);
  assertEquals(
    state.group(JOB)?.families.get(PUSH_FAILURE_TIME_METRIC)?.family.metric[0]?.gauge?.value,
    4,
  );
  assertEquals(state.group(JOB)?.writeSeq, 7, "the refused push still wrote the group");
});

Deno.test("StoreState: a group made only of refused pushes expires after the default TTL from its last failure", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  assert(!push(state, 1_000, { families: [withTimestamp("m")], ttlMs: 7 }).ok);
  assertEquals(state.group(JOB)?.ttl, { fromHeader: false, deadlineMs: 1_000 + HOUR });
  assertEquals(expiryGauge(state), (1_000 + HOUR) / 1000);
  assert(!push(state, 2_000, { families: [withTimestamp("m")] }).ok);
  assertEquals(state.group(JOB)?.ttl.deadlineMs, 2_000 + HOUR, "the last failure counts");
  // The first successful push takes over, with its header TTL.
  assert(push(state, 3_000, { ttlMs: 10 }).ok);
  assertEquals(state.group(JOB)?.ttl, { fromHeader: true, deadlineMs: 3_010 });
  // Without a default TTL, a failure-only group never expires.
  const plain = new StoreState();
  assert(!push(plain, 1_000, { families: [withTimestamp("m")], ttlMs: 7 }).ok);
  assertEquals(plain.group(JOB)?.ttl, { fromHeader: false, deadlineMs: undefined });
  assertEquals(expiryGauge(plain), undefined);
});

Deno.test("StoreState: a pushed push_expiry_time_seconds is dropped like a pushed push_time_seconds", () => {
  for (const ttl of [undefined, 60_000]) {
    const state = new StoreState(new Map(), { defaultTtlMs: ttl });
    const r = push(state, 1_000, {
      families: [gauge("m"), counter(PUSH_EXPIRY_TIME_METRIC), counter(PUSH_TIME_METRIC)],
    });
    assert(r.ok);
    assertEquals(expiryGauge(state), ttl === undefined ? undefined : (1_000 + ttl) / 1000);
    assertEquals(
      state.group(JOB)?.families.get(PUSH_EXPIRY_TIME_METRIC)?.family.type,
      ttl === undefined ? undefined : MetricType.GAUGE,
    );
  }
});

Deno.test("StoreState: DELETE and wipe remove groups with their expiry gauges", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  push(state, 1_000);
  state.push({ labels: { job: "k" }, families: [], replace: true, timeMs: 1_000 });
  assertEquals(state.mergedFamily(PUSH_EXPIRY_TIME_METRIC)?.metric.length, 2);
  assertEquals(state.delete({ labels: JOB }).deleted, true);
  assertEquals(state.mergedFamily(PUSH_EXPIRY_TIME_METRIC)?.metric.length, 1);
  state.wipe();
  assertEquals(state.mergedFamily(PUSH_EXPIRY_TIME_METRIC), undefined);
  assertEquals(state.seriesCount, 0);
});

function restoredGroup(job: string, pushSeconds: number, ttl?: Group["ttl"]): Group {
  const source = new StoreState();
  source.push({
    labels: { job },
    families: [gauge("m")],
    replace: true,
    timeMs: pushSeconds * 1000,
  });
  const [group] = source.snapshot();
  return { ...(group as Group), ttl };
}

Deno.test("StoreState.restore(): header TTLs keep their deadline, default ones follow the current default", () => {
  const groups = [
    restoredGroup("header", 100, { fromHeader: true, deadlineMs: 500_000 }),
    restoredGroup("header-never", 100, { fromHeader: true, deadlineMs: undefined }),
    restoredGroup("default", 100, { fromHeader: false, deadlineMs: 160_000 }),
    restoredGroup("old-format", 200),
  ];
  const state = new StoreState(new Map(), { defaultTtlMs: 30_000 });
  state.restore(groups);
  assertEquals(state.group({ job: "header" })?.ttl, { fromHeader: true, deadlineMs: 500_000 });
  assertEquals(state.group({ job: "header-never" })?.ttl.deadlineMs, undefined);
  assertEquals(state.group({ job: "default" })?.ttl, { fromHeader: false, deadlineMs: 130_000 });
  assertEquals(state.group({ job: "old-format" })?.ttl, {
    fromHeader: false,
    deadlineMs: 230_000,
  });
  assertEquals(expiryGauge(state, { job: "old-format" }), 230);
  assertEquals(state.mergedFamily(PUSH_EXPIRY_TIME_METRIC)?.metric.length, 3);
  // The default turned off: only the header deadline stays.
  const off = new StoreState();
  off.restore(groups);
  assertEquals(off.mergedFamily(PUSH_EXPIRY_TIME_METRIC)?.metric.length, 1);
  assertEquals(off.group({ job: "default" })?.ttl.deadlineMs, undefined);
  // A failure-only group counts from its failure.
  const failing = new StoreState();
  const families = [withTimestamp("m")];
  failing.push({ labels: { job: "f" }, families, replace: true, timeMs: 40_000 });
  const again = new StoreState(new Map(), { defaultTtlMs: 1_000 });
  again.restore(failing.snapshot());
  assertEquals(again.group({ job: "f" })?.ttl.deadlineMs, 41_000);
});

Deno.test("StoreState.restore() drops a restored push_expiry_time_seconds family and rebuilds its own", () => {
  const group = restoredGroup("j", 100);
  const families = new Map<string, StoredFamily>(group.families);
  families.set(PUSH_EXPIRY_TIME_METRIC, {
    family: counter(PUSH_EXPIRY_TIME_METRIC),
    lastPushMs: 1,
  });
  const state = new StoreState();
  state.restore([{ labels: group.labels, families }]);
  assertEquals(state.group(JOB)?.families.has(PUSH_EXPIRY_TIME_METRIC), false);
  const withTtl = new StoreState(new Map(), { defaultTtlMs: 1_000 });
  withTtl.restore([{ labels: group.labels, families }]);
  assertEquals(withTtl.mergedFamily(PUSH_EXPIRY_TIME_METRIC)?.type, MetricType.GAUGE);
  assertEquals(expiryGauge(withTtl), 101);
});

Deno.test("StoreState.snapshot() carries the TTL and leaves the expiry gauge out", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  push(state, 1_000, { ttlMs: 5 });
  const [group] = state.snapshot();
  assertEquals(group?.ttl, { fromHeader: true, deadlineMs: 1_005 });
  assertEquals([...(group?.families.keys() ?? [])].sort(), [
    "m",
    PUSH_FAILURE_TIME_METRIC,
    PUSH_TIME_METRIC,
  ]);
  // The view still has it.
  assert(state.group(JOB)?.families.has(PUSH_EXPIRY_TIME_METRIC));
});

Deno.test("StoreState counts stored series through pushes, deletes, wipes and restores", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  push(state, 1, { families: [gauge("a", 3), gauge("b", 2)] });
  assertEquals(state.seriesCount, 5 + 3, "five pushed, push time, failure time, expiry time");
  push(state, 2, { families: [gauge("a", 1)], replace: false });
  assertEquals(state.seriesCount, 3 + 3);
  push(state, 3, { families: [gauge("c", 4)], ttlMs: 0 });
  assertEquals(state.seriesCount, 4 + 2);
  state.push({ labels: { job: "k" }, families: [gauge("a", 2)], replace: true, timeMs: 4 });
  assertEquals(state.seriesCount, 6 + 5);
  const snapshot = state.snapshot();
  state.delete({ labels: JOB });
  assertEquals(state.seriesCount, 5);
  state.restore(snapshot);
  assertEquals(state.seriesCount, 11);
  state.wipe();
  assertEquals(state.seriesCount, 0);
});

Deno.test("StoreState: a push past --storage.max-series is refused with the count, its failure recorded", () => {
  const state = new StoreState(new Map(), { maxSeries: 10 });
  assert(push(state, 1_000, { families: [gauge("a", 8)] }).ok);
  assertEquals(state.seriesCount, 10);
  const over = push(state, 2_000, { families: [gauge("a", 8), gauge("b", 1)], replace: false });
  assertEquals(over, {
    ok: false,
    seq: 0,
    cause: "max-series",
    error: "storing this push would raise the number of series to 11, over the limit of 10 " +
      "(--storage.max-series)",
  });
  assertEquals(state.seriesCount, 10, "nothing of it stored");
  assertEquals(state.group(JOB)?.families.has("b"), false);
  assertEquals(
    state.group(JOB)?.families.get(PUSH_FAILURE_TIME_METRIC)?.family.metric[0]?.gauge?.value,
    2,
  );
  // Replacing with as many or fewer series is fine at the limit.
  assert(push(state, 3_000, { families: [gauge("c", 8)] }).ok);
  assert(push(state, 4_000, { families: [gauge("c", 2)] }).ok);
  assertEquals(state.seriesCount, 4);
});

Deno.test("StoreState: a new group refused at a full store is not created", () => {
  const state = new StoreState(new Map(), { maxSeries: 5 });
  assert(push(state, 1_000, { families: [gauge("a", 3)] }).ok);
  const r = state.push({
    labels: { job: "new" },
    families: [gauge("a", 1)],
    replace: true,
    timeMs: 2,
  });
  assert(!r.ok);
  assertEquals(r.cause, "max-series");
  assertEquals(
    r.failureNotRecorded,
    "creating the group would raise the number of series to 7, over the limit of 5 " +
      "(--storage.max-series)",
  );
  assertEquals(state.group({ job: "new" }), undefined);
  assertEquals(state.seriesCount, 5);
});

Deno.test("StoreState: a push that brings the count down is accepted over the limit", () => {
  const big = new StoreState();
  big.push({ labels: JOB, families: [gauge("a", 20)], replace: true, timeMs: 1 });
  const state = new StoreState(new Map(), { maxSeries: 10 });
  state.restore(big.snapshot());
  assertEquals(state.seriesCount, 22);
  assert(push(state, 2, { families: [gauge("a", 15)] }).ok);
  assertEquals(state.seriesCount, 17);
  assert(!push(state, 3, { families: [gauge("a", 16)] }).ok);
});

Deno.test("StoreState: a refusal given with the write records the failure and stores nothing", () => {
  const state = new StoreState(new Map(), { defaultTtlMs: HOUR });
  const r = push(state, 5_000, { families: [gauge("a", 3)], refused: "too many series" });
  assertEquals(r, { ok: false, seq: 0, cause: "refused", error: "too many series" });
  const group = state.group(JOB);
  assertEquals([...(group?.families.keys() ?? [])].sort(), [
    PUSH_EXPIRY_TIME_METRIC,
    PUSH_FAILURE_TIME_METRIC,
    PUSH_TIME_METRIC,
  ]);
  assertEquals(group?.families.get(PUSH_FAILURE_TIME_METRIC)?.family.metric[0]?.gauge?.value, 5);
  assertEquals(group?.ttl.deadlineMs, 5_000 + HOUR);
});
