import { assert, assertEquals } from "@std/assert";
import { type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { Expirer } from "@lib/store/expiry.ts";
import { InMemoryStore, type InMemoryStoreOptions } from "@lib/store/memory_store.ts";
import type { MetricStore, PushWrite, WriteRequest, WriteResultOf } from "@lib/store/store.ts";
import { timestampGauge } from "@lib/store/sanitize.ts";
import { type Group, PUSH_EXPIRY_TIME_METRIC, PUSH_TIME_METRIC } from "@lib/store/types.ts";
import { FakeClock } from "../../tests/helpers/fake_clock.ts";

const SECOND = 1000;

function gauge(name = "m"): MetricFamily {
  return { name, type: MetricType.GAUGE, metric: [{ label: [], gauge: { value: 1 } }] };
}

/** Pushes one gauge as group `{job}` at `timeMs`, with a TTL from a header when given; true when accepted. */
async function pushGauge(
  store: Pick<MetricStore, "submit">,
  job: string,
  timeMs: number,
  ttlMs?: number,
): Promise<boolean> {
  const write: PushWrite = {
    kind: "push",
    labels: { job },
    families: [gauge()],
    replace: true,
    timeMs,
    ...(ttlMs === undefined ? {} : { ttlMs }),
  };
  return (await store.submit(write)).ok;
}

/** Log lines as [level, msg, attrs]. */
type Line = [string, string, Record<string, unknown> | undefined];

function recorder(): { lines: Line[]; logger: ExpLogger } {
  const lines: Line[] = [];
  return {
    lines,
    logger: {
      info: (msg, attrs) => lines.push(["info", msg, attrs]),
      warn: (msg, attrs) => lines.push(["warn", msg, attrs]),
    },
  };
}
type ExpLogger = ConstructorParameters<typeof Expirer>[0]["logger"];

interface Setup {
  clock: FakeClock;
  store: InMemoryStore;
  expirer: Expirer;
  lines: Line[];
  push(job: string, ttlMs?: number): Promise<boolean>;
}

async function setup(options: InMemoryStoreOptions = {}, start = true): Promise<Setup> {
  const clock = new FakeClock();
  const store = new InMemoryStore(options);
  const { lines, logger } = recorder();
  const expirer = new Expirer({ store, clock, logger });
  if (start) await expirer.start();
  const push = (job: string, ttlMs?: number) => pushGauge(store, job, clock.now(), ttlMs);
  return { clock, store, expirer, lines, push };
}

Deno.test("Expirer removes a group when its default TTL passes, as a DELETE would, and counts it", async () => {
  const { clock, store, expirer, lines, push } = await setup({ defaultTtlMs: 10 * SECOND });
  assert(await push("a"));
  assert(await push("keep", 0));
  await clock.advance(10 * SECOND - 1);
  assert(store.view.group({ job: "a" }) !== undefined, "not before the deadline");
  assertEquals(expirer.expiredTotal, 0);
  await clock.advance(1);
  assertEquals(store.view.group({ job: "a" }), undefined);
  assertEquals(store.view.mergedFamily(PUSH_TIME_METRIC)?.size, 1, "only keep's");
  assertEquals(store.view.mergedFamily(PUSH_EXPIRY_TIME_METRIC), undefined);
  assertEquals(store.view.mergedFamily("m")?.size, 1);
  assertEquals(expirer.expiredTotal, 1);
  assertEquals(lines, [["info", "group expired", { group: '{job="a"}' }]]);
  assertEquals(clock.pending, 0, "no timer left: nothing else has a deadline");
  expirer.stop();
});

Deno.test("Expirer: a header TTL, and a re-push extending the deadline", async () => {
  const { clock, store, expirer, push } = await setup();
  assert(await push("a", 10 * SECOND));
  await clock.advance(6 * SECOND);
  assert(await push("a", 10 * SECOND));
  await clock.advance(6 * SECOND);
  assert(store.view.group({ job: "a" }) !== undefined, "the second push moved the deadline");
  await clock.advance(4 * SECOND);
  assertEquals(store.view.group({ job: "a" }), undefined);
  assertEquals(expirer.expiredTotal, 1);
  expirer.stop();
});

Deno.test("Expirer: a refused push does not extend the deadline; a failure-only group expires from its failure", async () => {
  const { clock, store, expirer, push } = await setup({ defaultTtlMs: 10 * SECOND });
  assert(await push("a"));
  const stamped: MetricFamily = {
    name: "m",
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value: 1 }, timestampMs: 1 }],
  };
  await clock.advance(5 * SECOND);
  for (const job of ["a", "failing"]) {
    const r = await store.submit({
      kind: "push",
      labels: { job },
      families: [structuredClone(stamped)],
      replace: true,
      timeMs: clock.now(),
      ttlMs: 60 * SECOND,
    });
    assert(!r.ok);
  }
  await clock.advance(5 * SECOND);
  assertEquals(store.view.group({ job: "a" }), undefined, "expired 10 s after its last success");
  assert(store.view.group({ job: "failing" }) !== undefined);
  await clock.advance(5 * SECOND);
  assertEquals(store.view.group({ job: "failing" }), undefined, "10 s after its failure");
  assertEquals(expirer.expiredTotal, 2);
  expirer.stop();
});

/** A store whose expiry deletes wait until released, to stage the race with a push. */
class HeldDeletes implements MetricStore {
  readonly inner: InMemoryStore;
  readonly held: (() => void)[] = [];
  constructor(inner: InMemoryStore) {
    this.inner = inner;
  }
  get view() {
    return this.inner.view;
  }
  submit<W extends WriteRequest>(write: W): Promise<WriteResultOf<W>> {
    if (write.kind !== "delete" || write.reason !== "expired") return this.inner.submit(write);
    return new Promise((resolve) => this.held.push(() => resolve(this.inner.submit(write))));
  }
  subscribe(listener: Parameters<MetricStore["subscribe"]>[0]) {
    return this.inner.subscribe(listener);
  }
  healthy() {
    return undefined;
  }
  ready() {
    return undefined;
  }
  close() {
    return this.inner.close();
  }
}

Deno.test("Expirer: a push that races its own group's expiry wins", async () => {
  const clock = new FakeClock();
  const inner = new InMemoryStore({ defaultTtlMs: 10 * SECOND });
  const store = new HeldDeletes(inner);
  const { lines, logger } = recorder();
  const expirer = new Expirer({ store, clock, logger });
  await expirer.start();
  const pushA = () => pushGauge(store, "a", clock.now());
  assert(await pushA());
  await clock.advance(10 * SECOND);
  assertEquals(store.held.length, 1, "the expiry delete is on its way");
  assert(await pushA(), "a push lands first");
  store.held.shift()?.();
  await expirer.settled();
  const group = store.view.group({ job: "a" });
  assert(group !== undefined, "the push won");
  assertEquals(group.ttl.deadlineMs, clock.now() + 10 * SECOND);
  assertEquals(expirer.expiredTotal, 0);
  assertEquals(lines, []);
  // And the renewed deadline still expires it.
  await clock.advance(10 * SECOND);
  store.held.shift()?.();
  await expirer.settled();
  assertEquals(store.view.group({ job: "a" }), undefined);
  assertEquals(expirer.expiredTotal, 1);
  expirer.stop();
});

Deno.test("Expirer.start() removes groups whose deadline passed while the gateway was down", async () => {
  const before = new InMemoryStore({ defaultTtlMs: 10 * SECOND });
  const clock = new FakeClock();
  for (
    const [job, ttlMs] of [["header-past", 1 * SECOND], ["header-future", 60 * SECOND]] as const
  ) {
    assert(await pushGauge(before, job, clock.now() - 5 * SECOND, ttlMs));
  }
  assert(await pushGauge(before, "default-past", clock.now() - 20 * SECOND));
  // Restart with a longer default: the default group now lives on; the header deadline passed.
  const after = new InMemoryStore({ defaultTtlMs: 60 * SECOND });
  after.restore(before.snapshot());
  const { lines, logger } = recorder();
  const expirer = new Expirer({ store: after, clock, logger });
  await expirer.start();
  assertEquals(after.view.groups().map((g) => g.labels.job), ["default-past", "header-future"]);
  assertEquals(lines.map((l) => l[2]?.group), ['{job="header-past"}']);
  assertEquals(expirer.scheduled, 2);
  await clock.advance(40 * SECOND);
  assertEquals(after.view.groups().map((g) => g.labels.job), ["header-future"]);
  await clock.advance(15 * SECOND);
  assertEquals(after.view.size, 0);
  assertEquals(expirer.expiredTotal, 3);
  expirer.stop();
});

Deno.test("Expirer with shouldIssue() false keeps its deadlines and counts deletes applied by another", async () => {
  const clock = new FakeClock();
  const store = new InMemoryStore({ defaultTtlMs: 10 * SECOND });
  const { lines, logger } = recorder();
  let leader = false;
  const expirer = new Expirer({ store, clock, logger, shouldIssue: () => leader, retryMs: 500 });
  await expirer.start();
  assert(await pushGauge(store, "a", clock.now()));
  assert(await pushGauge(store, "b", clock.now()));
  await clock.advance(20 * SECOND);
  assertEquals(store.view.size, 2, "not the issuer: nothing deleted");
  assertEquals(clock.pending, 1, "one timer, asking again later");
  // Another replica's expiry delete of `a` arrives through the shared log.
  const seq = store.view.group({ job: "a" })?.writeSeq;
  await store.submit({
    kind: "delete",
    labels: { job: "a" },
    ifNotWrittenSince: seq,
    reason: "expired",
  });
  assertEquals(expirer.expiredTotal, 1);
  assertEquals(lines, [["info", "group expired", { group: '{job="a"}' }]]);
  // Becoming the issuer, it removes `b` at its next try.
  leader = true;
  await clock.advance(500);
  assertEquals(store.view.size, 0);
  assertEquals(expirer.expiredTotal, 2);
  expirer.stop();
});

Deno.test("Expirer: a user DELETE and a wipe drop deadlines without counting them", async () => {
  const { clock, store, expirer, lines, push } = await setup({ defaultTtlMs: 10 * SECOND });
  assert(await push("a"));
  assert(await push("b"));
  await store.submit({ kind: "delete", labels: { job: "a" } });
  assertEquals(expirer.scheduled, 1);
  await store.submit({ kind: "wipe" });
  assertEquals(expirer.scheduled, 0);
  await clock.advance(20 * SECOND);
  assertEquals(expirer.expiredTotal, 0);
  assertEquals(lines, []);
  assertEquals(clock.pending, 0);
  expirer.stop();
});

Deno.test("Expirer retries a delete the store could not take", async () => {
  const clock = new FakeClock();
  const store = new InMemoryStore({ defaultTtlMs: 10 * SECOND });
  let fail = true;
  const flaky = new HeldDeletes(store);
  flaky.submit = <W extends WriteRequest>(write: W): Promise<WriteResultOf<W>> => {
    if (write.kind === "delete" && fail) return Promise.reject(new Error("log unreachable"));
    return store.submit(write);
  };
  const { lines, logger } = recorder();
  const expirer = new Expirer({ store: flaky, clock, logger, retryMs: 2 * SECOND });
  await expirer.start();
  assert(await pushGauge(store, "a", clock.now()));
  await clock.advance(10 * SECOND);
  assertEquals(store.view.size, 1);
  assertEquals(lines[0]?.[0], "warn");
  assertEquals(lines[0]?.[2], { group: '{job="a"}', err: "log unreachable" });
  fail = false;
  await clock.advance(2 * SECOND);
  assertEquals(store.view.size, 0);
  assertEquals(expirer.expiredTotal, 1);
  expirer.stop();
});

/** `n` restored groups `g<i>` with header deadlines `deadline(i)`. */
function restoredGroups(n: number, deadline: (i: number) => number): Group[] {
  const groups: Group[] = [];
  for (let i = 0; i < n; i++) {
    const labels = { job: `g${i}` };
    const pushTime = timestampGauge(PUSH_TIME_METRIC, "", labels, 1);
    groups.push({
      labels,
      families: new Map([[PUSH_TIME_METRIC, { family: pushTime, lastPushMs: 1000 }]]),
      ttl: { fromHeader: true, deadlineMs: deadline(i) },
    });
  }
  return groups;
}

Deno.test("Expirer keeps one timer for 100,000 deadlines and removes each group at its own", async () => {
  const { clock, store, expirer, push } = await setup({}, false);
  const n = 100_000;
  const t0 = clock.now();
  // Deadlines over one second, in an order unrelated to the groups'.
  store.restore(restoredGroups(n, (i) => t0 + 1 + ((i * 7919) % 1000)));
  await expirer.start();
  assertEquals(expirer.scheduled, n);
  assertEquals(clock.pending, 1);
  await clock.advance(500);
  assertEquals(store.view.size, n / 2, "exactly those whose deadline passed");
  for (const g of store.view.groups()) assert((g.ttl.deadlineMs as number) > t0 + 500);
  // Re-pushing some moves their deadlines (one heap entry each, no scan).
  const renewed = store.view.groups().slice(0, 1000).map((g) => g.labels.job as string);
  for (const job of renewed) assert(await push(job, 60 * SECOND));
  await clock.advance(500);
  assertEquals(store.view.groups().map((g) => g.labels.job).sort(), renewed.sort());
  await clock.advance(60 * SECOND);
  assertEquals(store.view.size, 0);
  assertEquals(expirer.expiredTotal, n);
  assertEquals(clock.maxPending, 1, "never more than one timer");
  assert(clock.timersSet < 1200, `a timer per distinct deadline and batch, set ${clock.timersSet}`);
  expirer.stop();
});
