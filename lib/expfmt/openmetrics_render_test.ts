/**
 * Table tests of the OpenMetrics renderer for the rules of the newest
 * prometheus/common `MetricFamilyToOpenMetrics` that Debian's 0.39 (the Go
 * differential in `tests/interop_openmetrics_go_test.ts`) lacks: `# UNIT`,
 * gauge histograms, quoted names, exemplars without labels, `_created` lines,
 * float histograms; plus what this renderer drops where Go fails. Expected
 * bytes are read from common v0.69 `expfmt/openmetrics_create.go` (unchanged in
 * the newest release).
 */

import { assertEquals } from "@std/assert";
import {
  formatOpenMetricsFloat,
  OPENMETRICS_EOF,
  renderFamilyOpenMetrics,
  renderOpenMetrics,
} from "@lib/expfmt/openmetrics_render.ts";
import {
  emptyHistogram,
  type Histogram,
  type Metric,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";

function counter(name: string, value: number, extra: Partial<MetricFamily> = {}): MetricFamily {
  return { name, type: MetricType.COUNTER, metric: [{ label: [], counter: { value } }], ...extra };
}

function histogram(fields: Partial<Histogram>, label: Metric["label"] = []): Metric {
  return { label, histogram: { ...emptyHistogram(), ...fields } };
}

Deno.test("formatOpenMetricsFloat() writes Go's writeOpenMetricsFloat", () => {
  const cases: [number, string][] = [
    [0, "0.0"],
    [-0, "0.0"],
    [1, "1.0"],
    [-1, "-1.0"],
    [100, "100.0"],
    [-42, "-42.0"],
    [0.5, "0.5"],
    [1e6, "1e+06"],
    [999999, "999999.0"],
    [1e-5, "1e-05"],
    [2 ** 53, "9.007199254740992e+15"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [v, want] of cases) assertEquals(formatOpenMetricsFloat(v), want, String(v));
});

Deno.test("renderFamilyOpenMetrics() types counters by their _total suffix", () => {
  assertEquals(
    renderFamilyOpenMetrics(counter("jobs_total", 3, { help: "Jobs." })),
    "# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 3.0\n",
  );
  assertEquals(renderFamilyOpenMetrics(counter("jobs", 3)), "# TYPE jobs unknown\njobs 3.0\n");
  // A counter named only `_total` keeps an empty name in its comments, quoted.
  assertEquals(
    renderFamilyOpenMetrics(counter("_total", 0, { help: "x" })),
    '# HELP "" x\n# TYPE "" counter\n_total 0.0\n',
  );
  const untyped: MetricFamily = {
    name: "u",
    type: MetricType.UNTYPED,
    metric: [{ label: [], untyped: { value: 1 } }],
  };
  assertEquals(renderFamilyOpenMetrics(untyped), "# TYPE u unknown\nu 1.0\n");
});

Deno.test("renderFamilyOpenMetrics() writes # UNIT after # TYPE, with the counter's short name", () => {
  assertEquals(
    renderFamilyOpenMetrics(counter("run_seconds_total", 1.5, { unit: "seconds", help: "R." })),
    "# HELP run_seconds R.\n# TYPE run_seconds counter\n# UNIT run_seconds seconds\n" +
      "run_seconds_total 1.5\n",
  );
  // Present but empty, and escaped like HELP (quotes included).
  assertEquals(
    renderFamilyOpenMetrics(counter("x_total", 1, { unit: "" })),
    "# TYPE x counter\n# UNIT x \nx_total 1.0\n",
  );
  assertEquals(
    renderFamilyOpenMetrics({
      name: "g",
      type: MetricType.GAUGE,
      unit: 'a"b\\c\nd',
      help: 'say "hi"',
      metric: [{ label: [], gauge: { value: 2 } }],
    }),
    '# HELP g say \\"hi\\"\n# TYPE g gauge\n# UNIT g a\\"b\\\\c\\nd\ng 2.0\n',
  );
});

Deno.test("renderFamilyOpenMetrics() writes gauge histograms with _sum and _count", () => {
  const family: MetricFamily = {
    name: "queue",
    type: MetricType.GAUGE_HISTOGRAM,
    metric: [histogram({
      bucket: [{ upperBound: 1, cumulativeCount: 1 }],
      sampleCount: 2,
      sampleSum: 3,
    }, [{ name: "q", value: "a" }])],
  };
  assertEquals(
    renderFamilyOpenMetrics(family),
    "# TYPE queue gaugehistogram\n" +
      'queue_bucket{q="a",le="1.0"} 1\nqueue_bucket{q="a",le="+Inf"} 2\n' +
      'queue_sum{q="a"} 3.0\nqueue_count{q="a"} 2\n',
  );
});

Deno.test("renderFamilyOpenMetrics() quotes names that are not legacy-valid", () => {
  const gauge: MetricFamily = {
    name: "a.b",
    type: MetricType.GAUGE,
    help: "h",
    metric: [
      { label: [], gauge: { value: 1 } },
      { label: [{ name: "c.d", value: "v" }, { name: "e", value: "w" }], gauge: { value: 2 } },
    ],
  };
  assertEquals(
    renderFamilyOpenMetrics(gauge),
    '# HELP "a.b" h\n# TYPE "a.b" gauge\n{"a.b"} 1.0\n{"a.b","c.d"="v",e="w"} 2.0\n',
  );
  assertEquals(
    renderFamilyOpenMetrics(counter('x"y_total', 1)),
    '# TYPE "x\\"y" counter\n{"x\\"y_total"} 1.0\n',
  );
  const h: MetricFamily = {
    name: "h.x",
    type: MetricType.HISTOGRAM,
    metric: [histogram({ sampleCount: 0, sampleSum: 0 })],
  };
  assertEquals(
    renderFamilyOpenMetrics(h),
    '# TYPE "h.x" histogram\n{"h.x_bucket",le="+Inf"} 0\n{"h.x_sum"} 0.0\n{"h.x_count"} 0\n',
  );
});

Deno.test("renderFamilyOpenMetrics() writes exemplars with labels only", () => {
  const family: MetricFamily = {
    name: "c_total",
    type: MetricType.COUNTER,
    metric: [
      { label: [], counter: { value: 1, exemplar: { label: [], value: 5 } } },
      {
        label: [{ name: "a", value: "1" }],
        counter: {
          value: 2,
          exemplar: {
            label: [{ name: "t", value: "x" }],
            value: 0.5,
            timestamp: { seconds: 1, nanos: 5e8 },
          },
        },
      },
      {
        label: [{ name: "a", value: "2" }],
        // An invalid timestamp (Go fails the family half-written) drops the exemplar.
        counter: {
          value: 3,
          exemplar: { label: [{ name: "t", value: "y" }], timestamp: { seconds: 0, nanos: 1e9 } },
        },
      },
    ],
  };
  assertEquals(
    renderFamilyOpenMetrics(family),
    '# TYPE c counter\nc_total 1.0\nc_total{a="1"} 2.0 # {t="x"} 0.5 1.5\nc_total{a="2"} 3.0\n',
  );
});

Deno.test("renderFamilyOpenMetrics() writes _created lines only when asked", () => {
  const created = { seconds: 1700000000, nanos: 500000000 };
  const families: MetricFamily[] = [
    {
      name: "c_total",
      type: MetricType.COUNTER,
      metric: [{
        label: [{ name: "a", value: "b" }],
        counter: { value: 1, createdTimestamp: created },
      }],
    },
    {
      name: "c2",
      type: MetricType.COUNTER,
      metric: [{ label: [], counter: { value: 1, createdTimestamp: created } }],
    },
    {
      name: "s",
      type: MetricType.SUMMARY,
      metric: [{
        label: [],
        summary: {
          quantile: [{ quantile: 0.5, value: 1 }],
          sampleCount: 1,
          sampleSum: 1,
          createdTimestamp: created,
        },
      }],
    },
    {
      name: "h",
      type: MetricType.HISTOGRAM,
      metric: [
        histogram({ sampleCount: 1, sampleSum: 2, createdTimestamp: { seconds: 5, nanos: 0 } }),
      ],
    },
  ];
  assertEquals(
    renderOpenMetrics(families),
    '# TYPE c counter\nc_total{a="b"} 1.0\n# TYPE c2 unknown\nc2 1.0\n' +
      '# TYPE s summary\ns{quantile="0.5"} 1.0\ns_sum 1.0\ns_count 1\n' +
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 2.0\nh_count 1\n# EOF\n',
  );
  assertEquals(
    renderOpenMetrics(families, { createdLines: true }),
    '# TYPE c counter\nc_total{a="b"} 1.0\nc_created{a="b"} 1.7000000005e+09\n' +
      "# TYPE c2 unknown\nc2 1.0\nc2_created 1.7000000005e+09\n" +
      '# TYPE s summary\ns{quantile="0.5"} 1.0\ns_sum 1.0\ns_count 1\ns_created 1.7000000005e+09\n' +
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 2.0\nh_count 1\nh_created 5.0\n# EOF\n',
  );
});

Deno.test("renderFamilyOpenMetrics() skips what Go refuses instead of failing half-way", () => {
  const floats: MetricFamily = {
    name: "h",
    type: MetricType.HISTOGRAM,
    metric: [
      histogram({ bucket: [{ upperBound: 1, cumulativeCountFloat: 1.5 }], sampleCountFloat: 1.5 }),
      histogram({ sampleCountFloat: 2 }, [{ name: "a", value: "b" }]),
      histogram({ sampleCount: 1, sampleSum: 1 }, [{ name: "a", value: "c" }]),
    ],
  };
  assertEquals(
    renderFamilyOpenMetrics(floats),
    '# TYPE h histogram\nh_bucket{a="c",le="+Inf"} 1\nh_sum{a="c"} 1.0\nh_count{a="c"} 1\n',
  );
  assertEquals(renderFamilyOpenMetrics({ ...floats, metric: floats.metric.slice(0, 2) }), "");
  const wrongField: MetricFamily = {
    name: "g",
    type: MetricType.GAUGE,
    metric: [{ label: [], counter: { value: 1 } }, { label: [], gauge: { value: 2 } }],
  };
  assertEquals(renderFamilyOpenMetrics(wrongField), "# TYPE g gauge\ng 2.0\n");
  assertEquals(renderFamilyOpenMetrics({ name: "e", type: MetricType.GAUGE, metric: [] }), "");
  assertEquals(renderFamilyOpenMetrics(counter("", 1)), "");
});

Deno.test("renderFamilyOpenMetrics() writes uint64 counts exactly, saturating what rounded to 2^64", () => {
  const s = (sampleCount: number): MetricFamily => ({
    name: "s",
    type: MetricType.SUMMARY,
    metric: [{ label: [], summary: { quantile: [], sampleCount, sampleSum: 0 } }],
  });
  assertEquals(renderFamilyOpenMetrics(s(2 ** 60)).split("\n")[2], "s_count 1152921504606846976");
  assertEquals(renderFamilyOpenMetrics(s(2 ** 64)).split("\n")[2], "s_count 18446744073709551615");
});

Deno.test("renderOpenMetrics() escapes names for the negotiated scheme and ends with # EOF", () => {
  const family: MetricFamily = {
    name: "a.b",
    type: MetricType.GAUGE,
    metric: [{ label: [{ name: "c.d", value: "v" }], gauge: { value: 1 } }],
  };
  assertEquals(
    renderOpenMetrics([family], { escaping: "underscores" }),
    '# TYPE a_b gauge\na_b{c_d="v"} 1.0\n' + OPENMETRICS_EOF,
  );
  assertEquals(
    renderOpenMetrics([family], { escaping: "values" }),
    '# TYPE U__a_2e_b gauge\nU__a_2e_b{U__c_2e_d="v"} 1.0\n# EOF\n',
  );
  assertEquals(
    renderOpenMetrics([family]),
    '# TYPE "a.b" gauge\n{"a.b","c.d"="v"} 1.0\n# EOF\n',
  );
});
