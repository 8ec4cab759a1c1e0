import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { emptyHistogram, type Metric, sampleLineCount } from "@lib/model/metric.ts";
import {
  endsRun,
  labelHash,
  MAX_LINES,
  metricSource,
  resegment as resegmentSource,
  type SeriesRun,
  TARGET_LINES,
} from "@lib/http/series_segments.ts";

/** `perGroup` gauge series per group, sorted as the merged view sorts them (by instance). */
function family(groups: number, perGroup: number, from = 0): Metric[] {
  const out: Metric[] = [];
  for (let g = from; g < from + groups; g++) {
    for (let k = 0; k < perGroup; k++) {
      out.push({
        label: [
          { name: "instance", value: `host-${String(g).padStart(6, "0")}` },
          { name: "job", value: "bench" },
          { name: "kind", value: String(k) },
        ],
        gauge: { value: g * 10 + k },
      });
    }
  }
  return out;
}

/** A run that remembers its series (the cache asks the store for them by position). */
interface Run extends SeriesRun {
  readonly metrics: readonly Metric[];
}

/** The series of `metrics` as a source: each object is one series and keeps its id. */
let current: readonly Metric[] = [];
const create = (ids: Float64Array, start: number, closed: boolean): Run => ({
  ids,
  start,
  closed,
  metrics: current.slice(start, start + ids.length),
});

/** `resegment` over `Metric` objects. */
function resegment(previous: readonly Run[], metrics: readonly Metric[]): Run[] {
  current = metrics;
  return resegmentSource(previous, metricSource(metrics), create);
}

/** The runs cover `metrics` exactly, in order, and each respects the cap. */
function assertCovers(runs: readonly Run[], metrics: readonly Metric[]): void {
  const flat = runs.flatMap((r) => [...r.metrics]);
  assertEquals(flat.length, metrics.length);
  for (let i = 0; i < flat.length; i++) assert(flat[i] === metrics[i], `series ${i}`);
  let at = 0;
  for (const run of runs) {
    assertEquals(run.start, at, "a run's start is its current position");
    at += run.ids.length;
  }
  for (const [i, run] of runs.entries()) {
    assert(run.metrics.length > 0, `run ${i} is empty`);
    const lines = run.metrics.reduce((n, m) => n + sampleLineCount(m), 0);
    const last = run.metrics[run.metrics.length - 1]!;
    assert(lines - sampleLineCount(last) < MAX_LINES, `run ${i} has ${lines} lines`);
    if (i < runs.length - 1) assert(run.closed, `run ${i} is open but not last`);
    if (run.closed && lines < MAX_LINES) assert(endsRun(last), `run ${i} closed off a boundary`);
  }
}

Deno.test("labelHash() depends on the labels only, not on the value", () => {
  const [a, b] = family(2, 1);
  assertEquals(labelHash(a!), labelHash({ ...a!, gauge: { value: 42 } }));
  assertNotEquals(labelHash(a!), labelHash(b!));
  // Name and value boundaries count: a="bc" and ab="c" differ.
  assertNotEquals(
    labelHash({ label: [{ name: "a", value: "bc" }] }),
    labelHash({ label: [{ name: "ab", value: "c" }] }),
  );
});

Deno.test("sampleLineCount() counts the text lines of each type", () => {
  assertEquals(sampleLineCount({ label: [], counter: { value: 1 } }), 1);
  assertEquals(
    sampleLineCount({ label: [], summary: { quantile: [{ quantile: 0.5, value: 1 }] } }),
    3,
  );
  const histogram = {
    ...emptyHistogram(),
    bucket: [{ upperBound: 1 }, { upperBound: 2 }],
  };
  assertEquals(sampleLineCount({ label: [], histogram }), 5);
});

Deno.test("resegment() cuts runs of about TARGET_LINES lines that cover the family", () => {
  const metrics = family(10_000, 3);
  const runs = resegment([], metrics);
  assertCovers(runs, metrics);
  const mean = metrics.length / runs.length;
  // 30,000 one-line series: about 117 runs of 256 on average; allow wide randomness.
  assert(mean > TARGET_LINES / 2 && mean < TARGET_LINES * 2, `mean run ${mean}`);
  assertEquals(runs[runs.length - 1]!.closed, endsRun(metrics[metrics.length - 1]!));
});

Deno.test("resegment(): label values that differ only at the end still spread the boundaries", () => {
  // `i="0"` … `i="9999"`: a hash whose high bits ignore the last characters would put
  // boundaries in clumps (runs of 1–2 series) between long stretches cut only by the cap.
  const metrics: Metric[] = Array.from({ length: 10_000 }, (_, i) => ({
    label: [{ name: "i", value: String(i) }],
    gauge: { value: i },
  }));
  const runs = resegment([], metrics);
  const capped = runs.filter((r) => r.metrics.length >= MAX_LINES).length;
  const tiny = runs.filter((r) => r.metrics.length < 8).length;
  assert(capped <= 2, `${capped} of ${runs.length} runs cut by the cap`);
  assert(tiny <= runs.length / 8, `${tiny} of ${runs.length} runs under 8 series`);
  const mean = metrics.length / runs.length;
  assert(mean > TARGET_LINES / 2 && mean < TARGET_LINES * 2, `mean run ${mean}`);
});

Deno.test("resegment() of the same series keeps every run", () => {
  const metrics = family(2000, 3);
  const before = resegment([], metrics);
  const after = resegment(before, metrics.slice());
  assertEquals(after.length, before.length);
  for (let i = 0; i < after.length; i++) assert(after[i] === before[i]);
});

Deno.test("resegment(): one group's series replaced, removed or added changes only the runs they fall in", () => {
  const metrics = family(5000, 3);
  const before = resegment([], metrics);
  const fresh = (runs: Run[]) => runs.filter((r) => !before.includes(r));

  // Replaced (a push of new values: new objects, same labels) in the middle.
  const replaced = metrics.map((m, i) =>
    i >= 7500 && i < 7503 ? { ...m, gauge: { value: -1 } } : m
  );
  const r1 = resegment(before, replaced);
  assertCovers(r1, replaced);
  assert(fresh(r1).length <= 2, `${fresh(r1).length} runs rendered again`);

  // Removed (a delete).
  const removed = metrics.filter((_, i) => i < 7500 || i >= 7503);
  const r2 = resegment(before, removed);
  assertCovers(r2, removed);
  assert(fresh(r2).length <= 2, `${fresh(r2).length} runs rendered again`);

  // Added (a new group sorted in the middle).
  const extra = family(1, 3, 2500).map((m) => ({
    ...m,
    label: [{ name: "instance", value: "host-002500-b" }, ...m.label.slice(1)],
  }));
  const added = [...metrics.slice(0, 7503), ...extra, ...metrics.slice(7503)];
  const r3 = resegment(before, added);
  assertCovers(r3, added);
  assert(fresh(r3).length <= 2, `${fresh(r3).length} runs rendered again`);
  // Everything after the change is the very same runs.
  assert(r3[r3.length - 1] === before[before.length - 1]);
});

Deno.test("resegment(): removing a boundary series merges its run with the next one only", () => {
  const metrics = family(3000, 1);
  const before = resegment([], metrics);
  // A run ending at a boundary, followed by one that does too, the two together under the cap.
  const at = before.findIndex((r, i) =>
    i > 0 && i + 1 < before.length && endsRun(r.metrics[r.metrics.length - 1]!) &&
    endsRun(before[i + 1]!.metrics[before[i + 1]!.metrics.length - 1]!) &&
    r.metrics.length + before[i + 1]!.metrics.length < MAX_LINES
  );
  assert(at > 0);
  const boundary = before[at]!.metrics[before[at]!.metrics.length - 1]!;
  const after = resegment(before, metrics.filter((m) => m !== boundary));
  const fresh = after.filter((r) => !before.includes(r));
  assertEquals(fresh.length, 1);
  assertEquals(
    fresh[0]!.metrics.length,
    before[at]!.metrics.length - 1 + before[at + 1]!.metrics.length,
  );
  assertEquals(after.length, before.length - 1);
});

Deno.test("resegment(): an open last run is not kept once series follow it", () => {
  // Series appended one by one at the end must not leave a trail of tiny runs.
  let metrics = family(50, 1);
  let runs = resegment([], metrics);
  for (let g = 50; g < 3000; g++) {
    metrics = [...metrics, ...family(1, 1, g)];
    runs = resegment(runs, metrics);
  }
  assertCovers(runs, metrics);
  const fresh = resegment([], metrics);
  assertEquals(runs.map((r) => r.metrics.length), fresh.map((r) => r.metrics.length));
});

Deno.test("resegment() caps runs without boundary series at MAX_LINES", () => {
  // Histograms of 200 buckets: 203 lines each, so the cap cuts every few series.
  const histogram = (i: number): Metric => ({
    label: [{ name: "i", value: String(i) }],
    histogram: {
      ...emptyHistogram(),
      bucket: Array.from({ length: 200 }, (_, b) => ({ upperBound: b, cumulativeCount: b })),
    },
  });
  const metrics = Array.from({ length: 400 }, (_, i) => histogram(i));
  const runs = resegment([], metrics);
  assertCovers(runs, metrics);
  assert(runs.every((r) => r.metrics.length <= Math.ceil(MAX_LINES / 203)));
});

Deno.test("resegment() of no series is no runs", () => {
  assertEquals(resegment([], []), []);
  assertEquals(resegment(resegment([], family(10, 1)), []), []);
});
