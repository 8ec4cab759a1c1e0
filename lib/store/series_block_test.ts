import { assert, assertEquals, assertNotStrictEquals, assertStrictEquals } from "@std/assert";
import { emptyHistogram, type Metric, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { EMPTY_PART, groupPart } from "@lib/store/label_sets.ts";
import {
  blockGaugeValue,
  blockHash,
  blockLines,
  encodeBlock,
  newPools,
  RICH_SHAPE,
  ShapeKind,
} from "@lib/store/series_block.ts";
import { labelsHash } from "@lib/store/label_sets.ts";

const part = groupPart([{ name: "instance", value: "h" }, { name: "job", value: "j" }]);

/** Sorted labels of a series of group {instance="h", job="j"} with own pairs `own`. */
function labels(own: Record<string, string>) {
  return Object.entries({ ...own, instance: "h", job: "j" })
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function family(type: MetricType, metric: Metric[], help: string | undefined = "h"): MetricFamily {
  const f: MetricFamily = { name: "f", type, metric };
  if (help !== undefined) f.help = help;
  return f;
}

/** Every shape a block stores compactly, and several it keeps whole. */
const CASES: [string, MetricFamily][] = [
  [
    "gauges",
    family(MetricType.GAUGE, [
      { label: labels({ a: "1" }), gauge: { value: 1.5 } },
      { label: labels({ a: "2" }), gauge: { value: -0 } },
      { label: labels({ a: "3" }), gauge: { value: NaN } },
      { label: labels({ a: "4" }), gauge: { value: -Infinity } },
    ]),
  ],
  ["one counter", family(MetricType.COUNTER, [{ label: labels({}), counter: { value: 7 } }])],
  [
    "untyped, no help",
    family(MetricType.UNTYPED, [{ label: labels({}), untyped: { value: 0 } }], undefined),
  ],
  [
    "summary",
    family(MetricType.SUMMARY, [{
      label: labels({}),
      summary: {
        sampleCount: 3,
        sampleSum: 1.25,
        quantile: [{ quantile: 0.5, value: 2 }, { quantile: 0.99, value: 9 }],
      },
    }]),
  ],
  [
    "histogram",
    family(MetricType.HISTOGRAM, [{
      label: labels({ le_not: "x" }),
      histogram: {
        ...emptyHistogram(),
        sampleCount: 4,
        sampleSum: 2.5,
        bucket: [{ upperBound: 0.1, cumulativeCount: 1 }, {
          upperBound: Infinity,
          cumulativeCount: 4,
        }],
      },
    }]),
  ],
  [
    "rich rows among plain ones",
    family(MetricType.COUNTER, [
      { label: labels({ a: "1" }), counter: { value: 1 } },
      {
        label: labels({ a: "2" }),
        counter: { value: 2, exemplar: { label: [{ name: "t", value: "x" }], value: 1 } },
      },
      {
        label: labels({ a: "3" }),
        counter: { value: 3, createdTimestamp: { seconds: 5, nanos: 0 } },
      },
      { label: labels({ a: "4" }), counter: {} },
      { label: labels({ a: "5" }), counter: { value: 5 }, timestampMs: 12 },
      { label: labels({ a: "6" }), gauge: { value: 6 }, counter: { value: 6 } },
    ]),
  ],
  [
    "native and float histograms",
    family(MetricType.HISTOGRAM, [
      {
        label: labels({ n: "1" }),
        histogram: {
          ...emptyHistogram(),
          sampleCount: 1,
          sampleSum: 1,
          schema: 3,
          zeroThreshold: 0.1,
          positiveSpan: [{ offset: 0, length: 1 }],
          positiveDelta: [1],
        },
      },
      {
        label: labels({ n: "2" }),
        histogram: { ...emptyHistogram(), sampleCountFloat: 1.5, sampleSum: 1 },
      },
      {
        label: labels({ n: "3" }),
        histogram: {
          ...emptyHistogram(),
          sampleCount: 1,
          sampleSum: 1,
          bucket: [{ upperBound: 1, cumulativeCountFloat: 1 }],
        },
      },
    ]),
  ],
  [
    "mixed shapes in one family",
    family(MetricType.SUMMARY, [
      {
        label: labels({ a: "1" }),
        summary: { sampleCount: 1, sampleSum: 1, quantile: [{ quantile: 0.5, value: 1 }] },
      },
      { label: labels({ a: "2" }), summary: { sampleCount: 2, sampleSum: 2, quantile: [] } },
      { label: labels({ a: "3" }), summary: { sampleSum: 2, quantile: [] } },
    ]),
  ],
  [
    "labels that do not fit the group",
    family(MetricType.GAUGE, [
      { label: labels({ a: "1" }), gauge: { value: 1 } },
      { label: [{ name: "job", value: "other" }], gauge: { value: 2 } },
    ]),
  ],
  ["no series", family(MetricType.GAUGE, [])],
];

Deno.test("encodeBlock() keeps every series exactly: materialised families equal the stored ones", () => {
  for (const [what, f] of CASES) {
    const block = encodeBlock(f, part, 1234.5, newPools());
    assertEquals(block.family, f, what);
    assertEquals(block.size, f.metric.length, what);
    assertEquals(block.lastPushMs, 1234.5, what);
    assertNotStrictEquals(block.family, block.family, `${what}: new objects on every read`);
    for (let i = 0; i < block.size; i++) {
      assertEquals(blockHash(block, i), labelsHash(f.metric[i]!.label), what);
      const m = f.metric[i]!;
      const lines = m.histogram
        ? m.histogram.bucket.length + 3
        : m.summary
        ? m.summary.quantile.length + 2
        : 1;
      assertEquals(blockLines(block, i), lines, what);
      assertEquals(block.id(i), block.id(0) + i, what);
    }
  }
});

Deno.test("encodeBlock() stores plain series compactly and keeps unusual ones whole", () => {
  const pools = newPools();
  const plain = encodeBlock(CASES[0]![1], part, 1, pools);
  assertEquals(plain.extra, undefined);
  assertEquals(plain.values, [1.5, -0, NaN, -Infinity]);
  assert(Object.is((plain.values as number[])[1], -0));
  const one = encodeBlock(CASES[1]![1], part, 1, pools);
  assertEquals(one.values, 7, "one number, not an array");
  const rich = encodeBlock(CASES[5]![1], part, 1, pools);
  const shapes = rich.shapes as readonly { kind: number }[];
  assertEquals(shapes.map((s) => s.kind === ShapeKind.RICH), [false, true, true, true, true, true]);
  assertEquals(rich.extra?.rich?.[0], undefined);
  assertStrictEquals(shapes[1], RICH_SHAPE);
  const foreign = encodeBlock(CASES[8]![1], part, 1, pools);
  assertStrictEquals(
    foreign.part,
    EMPTY_PART,
    "a series without the grouping pairs keeps its list",
  );
});

Deno.test("blocks of many groups share label sets, shapes and heads; ids are never reused", () => {
  const pools = newPools();
  const blocks = [0, 1, 2].map((g) =>
    encodeBlock(CASES[3]![1], groupPart([{ name: "instance", value: `h${g}` }]), 1, pools)
  );
  const [a, b] = blocks;
  assertStrictEquals(a!.head, b!.head);
  assertStrictEquals(a!.shapes, b!.shapes);
  assert(a!.id(0) !== b!.id(0));
  const again = encodeBlock(CASES[3]![1], part, 1, pools);
  assert(blocks.every((x) => x.id(0) !== again.id(0)));
  const gauges = [0, 1].map(() => encodeBlock(CASES[0]![1], part, 1, pools));
  assertStrictEquals((gauges[0]!.sets as unknown[])[2], (gauges[1]!.sets as unknown[])[2]);
});

Deno.test("blockGaugeValue() reads a synthetic gauge's value", () => {
  const f = family(MetricType.GAUGE, [{ label: labels({}), gauge: { value: 1700000000.25 } }]);
  assertEquals(blockGaugeValue(encodeBlock(f, part, 1, newPools())), 1700000000.25);
  assertEquals(blockGaugeValue(encodeBlock(CASES[1]![1], part, 1, newPools())), undefined);
  assertEquals(blockGaugeValue(encodeBlock(CASES[9]![1], part, 1, newPools())), undefined);
});
