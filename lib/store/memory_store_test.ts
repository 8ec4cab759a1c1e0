import { assert, assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { InMemoryStore } from "@lib/store/memory_store.ts";
import { type AppliedWrite, StoreUnavailableError } from "@lib/store/store.ts";
import { PUSH_TIME_METRIC } from "@lib/store/types.ts";

function gauge(name: string, value = 1): MetricFamily {
  return { name, type: MetricType.GAUGE, metric: [{ label: [], gauge: { value } }] };
}

function pushOf(job: string, families: MetricFamily[] = [gauge("m")], timeMs = 1_000) {
  return { kind: "push" as const, labels: { job }, families, replace: true, timeMs };
}

Deno.test("submit() applies at once, numbers every write and shows it in the view", async () => {
  const store = new InMemoryStore();
  const pending = store.submit(pushOf("a"));
  // Applied before the promise is even awaited: the next read sees it.
  assertEquals(store.view.group({ job: "a" })?.writeSeq, 1);
  assertEquals(await pending, { ok: true, seq: 1 });
  const counter: MetricFamily = {
    name: "m",
    type: MetricType.COUNTER,
    metric: [{ label: [], counter: { value: 1 } }],
  };
  const refused = await store.submit(pushOf("b", [counter]));
  assert(!refused.ok);
  assertEquals(refused.seq, 2);
  assertEquals(await store.submit({ kind: "delete", labels: { job: "zz" } }), {
    seq: 3,
    deleted: false,
  });
  // The refused push created group b with its failure time, as upstream does.
  assertEquals(await store.submit({ kind: "wipe" }), { seq: 4, deleted: 2 });
  assertEquals(store.view.size, 0);
});

Deno.test("a refused push that records its failure time marks the group as written", async () => {
  const store = new InMemoryStore();
  await store.submit(pushOf("a"));
  const stamped = gauge("m");
  stamped.metric[0]!.timestampMs = 5;
  const result = await store.submit(pushOf("a", [stamped]));
  assertEquals(result.ok, false);
  assertEquals(store.view.group({ job: "a" })?.writeSeq, 2);
});

Deno.test("a conditional delete removes a group only if nothing wrote it since", async () => {
  const store = new InMemoryStore();
  await store.submit(pushOf("a"));
  const seen = store.view.group({ job: "a" })!.writeSeq;
  await store.submit(pushOf("a", [gauge("m", 2)], 2_000)); // a push renews the group
  const stale = await store.submit({
    kind: "delete",
    labels: { job: "a" },
    ifNotWrittenSince: seen,
  });
  assertEquals(stale.deleted, false);
  assertEquals(
    store.view.group({ job: "a" })?.families.get("m")?.family.metric[0]?.gauge?.value,
    2,
  );
  const now = store.view.group({ job: "a" })!.writeSeq;
  const fresh = await store.submit({
    kind: "delete",
    labels: { job: "a" },
    ifNotWrittenSince: now,
  });
  assertEquals(fresh.deleted, true);
  assertEquals(store.view.group({ job: "a" }), undefined);
});

Deno.test("restored groups have write sequence 0 and restore is not announced", async () => {
  const source = new InMemoryStore();
  await source.submit(pushOf("a"));
  const store = new InMemoryStore();
  const heard: AppliedWrite[] = [];
  store.subscribe((w) => heard.push(w));
  store.restore(source.snapshot());
  assertEquals(store.view.group({ job: "a" })?.writeSeq, 0);
  assertEquals(heard, []);
  const del = await store.submit({ kind: "delete", labels: { job: "a" }, ifNotWrittenSince: 0 });
  assertEquals(del.deleted, true);
});

Deno.test("subscribers hear every applied write in order, until they unsubscribe", async () => {
  const store = new InMemoryStore();
  const heard: string[] = [];
  const unsubscribe = store.subscribe((w) => heard.push(`${w.seq}:${w.request.kind}`));
  await store.submit(pushOf("a"));
  await store.submit({ kind: "delete", labels: { job: "a" } });
  unsubscribe();
  await store.submit({ kind: "wipe" });
  assertEquals(heard, ["1:push", "2:delete"]);
});

Deno.test("a subscriber runs after the write is visible, before the caller is answered", async () => {
  const store = new InMemoryStore();
  let sawGroup = false;
  store.subscribe(() => {
    sawGroup = store.view.group({ job: "a" }) !== undefined;
  });
  const pending = store.submit(pushOf("a"));
  assert(sawGroup);
  await pending;
});

Deno.test("the view keeps its answers until a write changes them", async () => {
  const store = new InMemoryStore();
  await store.submit(pushOf("a"));
  const groups = store.view.groups();
  const merged = store.view.mergedFamily(PUSH_TIME_METRIC);
  assertStrictEquals(store.view.groups(), groups);
  assertStrictEquals(store.view.mergedFamily(PUSH_TIME_METRIC), merged);
  await store.submit(pushOf("b"));
  assert(store.view.groups() !== groups);
  assert(store.view.mergedFamily(PUSH_TIME_METRIC) !== merged);
});

Deno.test("healthy and ready; after close() writes are refused as unavailable", async () => {
  const store = new InMemoryStore();
  assertEquals(store.healthy(), undefined);
  assertEquals(store.ready(), undefined);
  await store.close();
  await assertRejects(() => store.submit(pushOf("a")), StoreUnavailableError);
  assertEquals(store.view.size, 0);
});
