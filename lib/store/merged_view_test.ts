import { assert, assertEquals } from "@std/assert";
import { Prng } from "@lib/expfmt/fuzz_gen.ts";
import type { Metric, MetricFamily } from "@lib/model/metric.ts";
import { MetricType } from "@lib/model/metric.ts";
import { compareMetrics, compareRows, withExtraSeries } from "@lib/store/merged_view.ts";
import { StoreState } from "@lib/store/state.ts";

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next() / 2 ** 32;
}

/** compareMetrics made total by label names, as the merged view orders series. */
function total(a: Metric, b: Metric): number {
  const c = compareMetrics(a, b);
  if (c !== 0) return c;
  for (let i = 0; i < a.label.length; i++) {
    const x = a.label[i]!.name, y = b.label[i]!.name;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Every group's series of `name`, sorted from scratch. */
function fullSort(state: StoreState, name: string): Metric[] {
  const all: Metric[] = [];
  for (const g of state.groups()) {
    const f = g.families.get(name);
    if (f) all.push(...f.family.metric);
  }
  return all.sort(total);
}

function gauges(rand: () => number, n: number): MetricFamily {
  const metric: Metric[] = [];
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    const v = String(Math.floor(rand() * 50));
    if (used.has(v)) continue;
    used.add(v);
    // Some series carry an extra label (more labels sort later), some a value that sorts first.
    const label = [{ name: "k", value: v }];
    if (rand() < 0.2) label.push({ name: "z", value: "" });
    metric.push({ label, gauge: { value: i } });
  }
  return { name: "m", help: "h", type: MetricType.GAUGE, metric };
}

Deno.test("the merged order after any writes equals a full sort (binary-search and linear paths)", () => {
  for (const [seed, groups, writesPerRead] of [[1, 40, 1], [2, 400, 1], [3, 400, 60], [4, 5, 3]]) {
    const rand = random(seed!);
    const state = new StoreState();
    let seq = 1;
    const labels = (g: number) => ({ job: "j", instance: `i${g}`, ...(g % 3 ? {} : { a: "x" }) });
    for (let g = 0; g < groups!; g++) {
      state.push(
        { labels: labels(g), families: [gauges(rand, 3)], replace: true, timeMs: 1 },
        seq++,
      );
    }
    for (let round = 0; round < 30; round++) {
      for (let w = 0; w < writesPerRead!; w++) {
        const g = Math.floor(rand() * groups! * 1.1);
        if (rand() < 0.25) state.delete({ labels: labels(g) }, seq++);
        else {
          const n = 1 + Math.floor(rand() * 6);
          state.push(
            { labels: labels(g), families: [gauges(rand, n)], replace: true, timeMs: 1 },
            seq++,
          );
        }
      }
      const merged = state.mergedFamily("m");
      const expected = fullSort(state, "m");
      assertEquals(merged?.series() ?? [], expected, `seed ${seed}, round ${round}`);
      if (merged) {
        const ids = new Set(Array.from({ length: merged.size }, (_, i) => merged.seriesId(i)));
        assertEquals(ids.size, merged.size, "ids are distinct");
      }
    }
  }
});

Deno.test("a one-group write keeps the ids of every other series", () => {
  const rand = random(9);
  const state = new StoreState();
  for (let g = 0; g < 100; g++) {
    state.push({
      labels: { job: "j", instance: `i${g}` },
      families: [gauges(rand, 3)],
      replace: true,
      timeMs: 1,
    });
  }
  const before = state.mergedFamily("m")!;
  const idsBefore = new Map<string, number>();
  before.series().forEach((m, i) => idsBefore.set(JSON.stringify(m.label), before.seriesId(i)));
  state.push({
    labels: { job: "j", instance: "i50" },
    families: [gauges(rand, 3)],
    replace: true,
    timeMs: 2,
  });
  const after = state.mergedFamily("m")!;
  let kept = 0;
  after.series().forEach((m, i) => {
    const id = idsBefore.get(JSON.stringify(m.label));
    const mine = m.label.some((l) => l.value === "i50");
    if (!mine) assertEquals(after.seriesId(i), id);
    else assert(id === undefined || after.seriesId(i) !== id, "a replaced series gets a new id");
    if (!mine) kept++;
  });
  assert(kept >= 290);
});

Deno.test("a restored store with duplicate series removes the right one", () => {
  const source = new StoreState();
  const fam = (): MetricFamily => ({
    name: "m",
    type: MetricType.GAUGE,
    metric: [{
      label: [{ name: "instance", value: "" }, { name: "job", value: "j" }, {
        name: "x",
        value: "1",
      }],
      gauge: { value: 1 },
    }],
  });
  source.push({ labels: { job: "j" }, families: [fam()], replace: true, timeMs: 1 });
  const [a] = source.snapshot();
  for (let g = 0; g < 200; g++) {
    const metric = [{ label: [{ name: "x", value: String(g) }], gauge: { value: g } }];
    const f: MetricFamily = { name: "m", type: MetricType.GAUGE, metric };
    source.push({ labels: { job: `o${g}` }, families: [f], replace: true, timeMs: 1 });
  }
  const others = source.snapshot().filter((g) => g.labels.job !== "j");
  const state = new StoreState();
  // {job} and {job, instance=""} hold equal series: a restore does not check.
  state.restore([a!, { labels: { job: "j", instance: "" }, families: a!.families }, ...others]);
  assertEquals(state.mergedFamily("m")!.size, 202);
  // Each delete finds its own row among equal ones by binary search (the order is large).
  state.delete({ labels: { job: "j" } });
  assertEquals(state.mergedFamily("m")!.series(), fullSort(state, "m"));
  state.delete({ labels: { job: "j", instance: "" } });
  assertEquals(state.mergedFamily("m")!.series(), fullSort(state, "m"));
  assertEquals(state.mergedFamily("m")!.size, 200);
});

Deno.test("compareRows() is compareMetrics() made total", () => {
  const state = new StoreState();
  state.push({ labels: { job: "j" }, families: [gauges(random(5), 40)], replace: true, timeMs: 1 });
  const block = state.group({ job: "j" })!.families.get("m")! as unknown as Parameters<
    typeof compareRows
  >[0];
  const metrics = block.family.metric;
  for (let i = 0; i < metrics.length; i++) {
    for (let k = 0; k < metrics.length; k++) {
      assertEquals(
        Math.sign(compareRows(block, i, block, k)),
        Math.sign(total(metrics[i]!, metrics[k]!)),
      );
    }
  }
});

Deno.test("withExtraSeries() places the gateway's own series before equal stored ones", () => {
  const state = new StoreState();
  for (const g of ["a", "c"]) {
    state.push({
      labels: { job: g },
      families: [{
        name: "m",
        type: MetricType.GAUGE,
        metric: [{ label: [], gauge: { value: 1 } }],
      }],
      replace: true,
      timeMs: 1,
    });
  }
  const merged = state.mergedFamily("m")!;
  const own = (job: string): Metric => ({
    label: [{ name: "instance", value: "" }, { name: "job", value: job }],
    gauge: { value: 9 },
  });
  const extra = [own("c"), own("b"), own("z")];
  const head: MetricFamily = { name: "m", help: "mine", type: MetricType.GAUGE, metric: extra };
  const both = withExtraSeries(merged, head, extra);
  const all = both.series();
  assertEquals(all.map((m) => `${m.label[1]!.value}:${m.gauge!.value}`), [
    "a:1",
    "b:9",
    "c:9",
    "c:1",
    "z:9",
  ]);
  assertEquals(both.size, 5);
  assertEquals(both.help, "mine");
  assertEquals(both.series(1, 4), all.slice(1, 4));
  assertEquals(both.seriesId(0), merged.seriesId(0));
  assertEquals(both.seriesId(3), merged.seriesId(1));
  assert(both.seriesId(1) !== merged.seriesId(0) && both.seriesId(1) !== merged.seriesId(1));
  const again = withExtraSeries(merged, head, extra);
  assert(again.seriesId(1) !== both.seriesId(1), "the gateway's series are new on every scrape");
});
