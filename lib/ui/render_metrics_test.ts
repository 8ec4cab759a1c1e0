import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { emptyHistogram, type Metric, MetricType } from "@lib/model/metric.ts";
import {
  exemplarText,
  formatFixedFloat,
  formatRfc3339,
  labelBadge,
  renderFamilies,
  renderFamily,
  valueCell,
} from "@lib/ui/render_metrics.ts";

Deno.test("formatFixedFloat() writes Go's 'f' format with the shortest digits", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [-0, "-0"],
    [1, "1"],
    [-2.5, "-2.5"],
    [1.7e9, "1700000000"],
    [1700000000.123, "1700000000.123"],
    [1e21, "1000000000000000000000"],
    [1.5e-7, "0.00000015"],
    [0.001, "0.001"],
    [123.456, "123.456"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [v, want] of cases) assertEquals(formatFixedFloat(v), want, String(v));
});

Deno.test("formatRfc3339() drops the fraction of a second", () => {
  const text = formatRfc3339(1700000000987);
  assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/.test(text), text);
  assertEquals(formatRfc3339(1700000000987), formatRfc3339(1700000000000));
});

Deno.test("labelBadge() colours job and instance and escapes the text", () => {
  assertEquals(labelBadge("job", "a"), `<span class="lbl job">job=&quot;a&quot;</span>`);
  assertEquals(
    labelBadge("instance", "b"),
    `<span class="lbl instance">instance=&quot;b&quot;</span>`,
  );
  assertEquals(
    labelBadge("x", "<img src=x onerror=alert(1)>"),
    `<span class="lbl">x=&quot;&lt;img src=x onerror=alert(1)&gt;&quot;</span>`,
  );
});

Deno.test("valueCell() renders each kind of value", () => {
  const cases: [string, Metric, MetricType, string[]][] = [
    ["counter", { label: [], counter: { value: 2e6 } }, MetricType.COUNTER, ["2000000"]],
    ["gauge", { label: [], gauge: { value: -1.5 } }, MetricType.GAUGE, ["-1.5"]],
    ["untyped", { label: [], untyped: { value: NaN } }, MetricType.UNTYPED, ["NaN"]],
    [
      "summary",
      {
        label: [],
        summary: {
          sampleCount: 7,
          sampleSum: 12.5,
          quantile: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: 4 }],
        },
      },
      MetricType.SUMMARY,
      [
        "Quantile 0.5</th><td>1<",
        "Quantile 0.99</th><td>4<",
        "Sample Count</th><td>7<",
        "Sample Sum</th><td>12.5<",
      ],
    ],
    [
      "classic histogram",
      {
        label: [],
        histogram: {
          ...emptyHistogram(),
          sampleCount: 3,
          sampleSum: 0.75,
          bucket: [
            { upperBound: 0.1, cumulativeCount: 1 },
            { upperBound: Infinity, cumulativeCount: 3 },
          ],
        },
      },
      MetricType.HISTOGRAM,
      [
        "Sample values &le; 0.1</th><td>1<",
        "Sample values &le; +Inf</th><td>3<",
        "Total sample Count</th><td>3<",
        "Sample Sum</th><td>0.75<",
      ],
    ],
    [
      "native histogram",
      {
        label: [],
        histogram: {
          ...emptyHistogram(),
          sampleCount: 4,
          sampleSum: 3,
          schema: 0,
          zeroThreshold: 0.001,
          zeroCount: 1,
          positiveSpan: [{ offset: 0, length: 2 }],
          positiveDelta: [2, -1],
        },
      },
      MetricType.HISTOGRAM,
      [
        "Bucket [-0.001, 0.001]</th><td>1<",
        "Bucket (0.5, 1]</th><td>2<",
        "Bucket (1, 2]</th><td>1<",
        "Total sample Count</th><td>4<",
        "Sample Sum</th><td>3<",
      ],
    ],
  ];
  for (const [name, metric, type, wants] of cases) {
    const html = valueCell(metric, type);
    for (const want of wants) assertStringIncludes(html, want, name);
  }
});

Deno.test("renderFamily() shows name, type, help and rows, all escaped", () => {
  const html = renderFamily("m", {
    family: {
      name: "m",
      help: "<script>alert(1)</script>",
      type: MetricType.GAUGE,
      metric: [{ label: [{ name: "job", value: `"><b>` }], gauge: { value: 3 } }],
    },
    lastPushMs: 1700000000000,
  }, `g"#m`);
  assertStringIncludes(html, `data-id="g&quot;#m"`);
  assertStringIncludes(html, `<span class="fname">m</span>`);
  assertStringIncludes(html, `<span class="type t-gauge">GAUGE</span>`);
  assertStringIncludes(html, `&lt;script&gt;alert(1)&lt;/script&gt;`);
  assertStringIncludes(html, `job=&quot;\\&quot;&gt;&lt;b&gt;&quot;`);
  assertStringIncludes(html, `<span class="val">3</span>`);
  assertEquals(html.includes("<script>"), false);
  assertEquals(html.includes("<b>"), false);
});

Deno.test("renderFamilies() sorts families by name", () => {
  const fam = (name: string) => ({
    family: { name, type: MetricType.UNTYPED, metric: [] },
    lastPushMs: 0,
  });
  const html = renderFamilies(new Map([["b", fam("b")], ["a", fam("a")], ["c", fam("c")]]), "g");
  const order = [...html.matchAll(/data-id="g#(\w)"/g)].map((m) => m[1]);
  assertEquals(order, ["a", "b", "c"]);
});

const TS = { seconds: 1796605437, nanos: 911000000 };

Deno.test("exemplarText() writes labels, value and time like an OpenMetrics exemplar", () => {
  assertEquals(exemplarText({ label: [], value: 1 }), "{} 1");
  const e = {
    label: [{ name: "trace_id", value: 'a"b' }, { name: "span.id", value: "1" }],
    value: 1e-7,
  };
  assertEquals(exemplarText(e), '{trace_id="a\\"b", "span.id"="1"} 0.0000001');
  // The time is RFC 3339 in the local zone, to the nanosecond.
  assertMatch(
    exemplarText({ ...e, timestamp: { seconds: 1796605437, nanos: 1 } }),
    /^\{.*\} 0\.0000001 @ 2026-12-0\dT\d\d:\d\d:57\.000000001(Z|[+-]\d\d:\d\d)$/,
  );
});

Deno.test("valueCell() shows exemplars and created timestamps where present, escaped", () => {
  const ex = { label: [{ name: "t", value: "<x>" }], value: 0.5 };
  const counter = valueCell(
    { label: [], counter: { value: 2, exemplar: ex, createdTimestamp: TS } },
    MetricType.COUNTER,
  );
  assertStringIncludes(counter, `<span class="val">2</span><table class="inner">`);
  assertStringIncludes(counter, `Exemplar</th><td>{t=&quot;&lt;x&gt;&quot;} 0.5</td>`);
  assertStringIncludes(counter, "Created</th><td>2026-12-0");
  const histogram = valueCell({
    label: [],
    histogram: {
      ...emptyHistogram(),
      sampleCount: 1,
      sampleSum: 0.5,
      bucket: [
        { upperBound: 0.1, cumulativeCount: 0 },
        { upperBound: 1, cumulativeCount: 1, exemplar: ex },
        { upperBound: Infinity, cumulativeCount: 1 },
      ],
      exemplars: [{ label: [], value: 3 }],
      createdTimestamp: TS,
    },
  }, MetricType.HISTOGRAM);
  assertStringIncludes(
    histogram,
    "Sample values &le; 1</th><td>1</td></tr>" +
      `<tr><th scope="row">Exemplar &le; 1</th><td>{t=&quot;&lt;x&gt;&quot;} 0.5</td></tr>` +
      `<tr><th scope="row">Sample values &le; +Inf</th>`,
  );
  assertStringIncludes(histogram, "Exemplar</th><td>{} 3</td>");
  assertStringIncludes(histogram, 'Sample Sum</th><td>0.5</td></tr><tr><th scope="row">Created');
  assertEquals(histogram.match(/Exemplar/g)?.length, 2);
  const summary = valueCell(
    { label: [], summary: { sampleCount: 1, sampleSum: 1, quantile: [], createdTimestamp: TS } },
    MetricType.SUMMARY,
  );
  assertStringIncludes(summary, 'Sample Sum</th><td>1</td></tr><tr><th scope="row">Created');
  // Without them, a counter is its value alone, as before.
  assertEquals(
    valueCell({ label: [], counter: { value: 2 } }, MetricType.COUNTER),
    `<span class="val">2</span>`,
  );
});

Deno.test("renderFamily() shows a unit beside the type only when the family has one", () => {
  const family = (unit?: string) => ({
    family: {
      name: "d_seconds",
      help: "H.",
      type: MetricType.GAUGE,
      unit,
      metric: [{ label: [], gauge: { value: 1 } }],
    },
    lastPushMs: 1700000000000,
  });
  const withUnit = renderFamily("d_seconds", family("sec<onds"), "g#d");
  assertStringIncludes(
    withUnit,
    `<span class="type t-gauge">GAUGE</span> <span class="unit">unit: sec&lt;onds</span>` +
      ` <span class="help">H.</span>`,
  );
  const without = renderFamily("d_seconds", family(), "g#d");
  assertEquals(without, withUnit.replace(` <span class="unit">unit: sec&lt;onds</span>`, ""));
  assert(!without.includes("unit"), without);
});
