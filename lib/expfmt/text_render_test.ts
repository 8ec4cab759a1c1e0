import { assertEquals } from "@std/assert";
import { renderFamilyText, renderText, textFamilyPieces } from "@lib/expfmt/text_render.ts";
import {
  type Bucket,
  emptyHistogram,
  type Histogram,
  type LabelPair,
  type MetricFamily,
  MetricType,
} from "@lib/model/metric.ts";

function labels(...pairs: [string, string][]): LabelPair[] {
  return pairs.map(([name, value]) => ({ name, value }));
}

function histogram(fields: Partial<Histogram>, bucket: Bucket[]): Histogram {
  return { ...emptyHistogram(), ...fields, bucket };
}

const CLASSIC_BUCKETS: Bucket[] = [
  { upperBound: 100, cumulativeCount: 123 },
  { upperBound: 120, cumulativeCount: 412 },
  { upperBound: 144, cumulativeCount: 592 },
  { upperBound: 172.8, cumulativeCount: 1524 },
];

const FLOAT_BUCKETS: Bucket[] = [
  { upperBound: 100, cumulativeCountFloat: 123.123 },
  { upperBound: 120, cumulativeCountFloat: 412 },
  { upperBound: 144, cumulativeCountFloat: 592 },
  { upperBound: 172.8, cumulativeCountFloat: 1524 },
];

// Scenarios and expected output follow common v0.69 text_create_test.go.
const SCENARIOS: { name: string; in: MetricFamily; out: string }[] = [
  {
    name: "counter with NaN and a timestamp",
    in: {
      name: "name",
      help: "two-line\n doc  str\\ing",
      type: MetricType.COUNTER,
      metric: [
        {
          label: labels(["labelname", "val1"], ["basename", "basevalue"]),
          counter: { value: NaN },
        },
        {
          label: labels(["labelname", "val2"], ["basename", "basevalue"]),
          counter: { value: 0.23 },
          timestampMs: 1234567890,
        },
      ],
    },
    out: `# HELP name two-line\\n doc  str\\\\ing
# TYPE name counter
name{labelname="val1",basename="basevalue"} NaN
name{labelname="val2",basename="basevalue"} 0.23 1234567890
`,
  },
  {
    name: "gauge with escaping, +Inf and multi-byte label values",
    in: {
      name: "gauge_name",
      help: 'gauge\ndoc\nstr"ing',
      type: MetricType.GAUGE,
      metric: [
        {
          label: labels(["name_1", "val with\nnew line"], [
            "name_2",
            'val with \\backslash and "quotes"',
          ]),
          gauge: { value: Infinity },
        },
        { label: labels(["name_1", "Björn"], ["name_2", "佖佥"]), gauge: { value: 3.14e42 } },
      ],
    },
    out: `# HELP gauge_name gauge\\ndoc\\nstr"ing
# TYPE gauge_name gauge
gauge_name{name_1="val with\\nnew line",name_2="val with \\\\backslash and \\"quotes\\""} +Inf
gauge_name{name_1="Björn",name_2="佖佥"} 3.14e+42
`,
  },
  {
    name: "UTF-8 metric and label names are quoted",
    in: {
      name: "gauge.name",
      help: 'gauge\ndoc\nstr"ing',
      type: MetricType.GAUGE,
      metric: [
        {
          label: labels(["name.1", "val with\nnew line"], [
            "name*2",
            'val with \\backslash and "quotes"',
          ]),
          gauge: { value: Infinity },
        },
        { label: labels(["name.1", "Björn"], ["name*2", "佖佥"]), gauge: { value: 3.14e42 } },
        { label: [], gauge: { value: 2 } },
      ],
    },
    out: `# HELP "gauge.name" gauge\\ndoc\\nstr"ing
# TYPE "gauge.name" gauge
{"gauge.name","name.1"="val with\\nnew line","name*2"="val with \\\\backslash and \\"quotes\\""} +Inf
{"gauge.name","name.1"="Björn","name*2"="佖佥"} 3.14e+42
{"gauge.name"} 2
`,
  },
  {
    name: "untyped without help",
    in: {
      name: "untyped_name",
      type: MetricType.UNTYPED,
      metric: [
        { label: [], untyped: { value: -Infinity } },
        { label: labels(["name_1", "value 1"]), untyped: { value: -1.23e-45 } },
      ],
    },
    out: `# TYPE untyped_name untyped
untyped_name -Inf
untyped_name{name_1="value 1"} -1.23e-45
`,
  },
  {
    name: "summary",
    in: {
      name: "summary_name",
      help: "summary docstring",
      type: MetricType.SUMMARY,
      metric: [
        {
          label: [],
          summary: {
            sampleCount: 42,
            sampleSum: -3.4567,
            quantile: [
              { quantile: 0.5, value: -1.23 },
              { quantile: 0.9, value: 0.2342354 },
              { quantile: 0.99, value: 0 },
            ],
          },
        },
        {
          label: labels(["name_1", "value 1"], ["name_2", "value 2"]),
          summary: {
            sampleCount: 4711,
            sampleSum: 2010.1971,
            quantile: [
              { quantile: 0.5, value: 1 },
              { quantile: 0.9, value: 2 },
              { quantile: 0.99, value: 3 },
            ],
          },
        },
      ],
    },
    out: `# HELP summary_name summary docstring
# TYPE summary_name summary
summary_name{quantile="0.5"} -1.23
summary_name{quantile="0.9"} 0.2342354
summary_name{quantile="0.99"} 0
summary_name_sum -3.4567
summary_name_count 42
summary_name{name_1="value 1",name_2="value 2",quantile="0.5"} 1
summary_name{name_1="value 1",name_2="value 2",quantile="0.9"} 2
summary_name{name_1="value 1",name_2="value 2",quantile="0.99"} 3
summary_name_sum{name_1="value 1",name_2="value 2"} 2010.1971
summary_name_count{name_1="value 1",name_2="value 2"} 4711
`,
  },
  {
    name: "histogram with +Inf bucket",
    in: {
      name: "request_duration_microseconds",
      help: "The response latency.",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: [],
        histogram: histogram({ sampleCount: 2693, sampleSum: 1756047.3 }, [
          ...CLASSIC_BUCKETS,
          { upperBound: Infinity, cumulativeCount: 2693 },
        ]),
      }],
    },
    out: `# HELP request_duration_microseconds The response latency.
# TYPE request_duration_microseconds histogram
request_duration_microseconds_bucket{le="100"} 123
request_duration_microseconds_bucket{le="120"} 412
request_duration_microseconds_bucket{le="144"} 592
request_duration_microseconds_bucket{le="172.8"} 1524
request_duration_microseconds_bucket{le="+Inf"} 2693
request_duration_microseconds_sum 1.7560473e+06
request_duration_microseconds_count 2693
`,
  },
  {
    name: "histogram missing the +Inf bucket, with labels and a timestamp",
    in: {
      name: "hist",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: labels(["job", "j"]),
        histogram: histogram({ sampleCount: 2693, sampleSum: 1756047.3 }, CLASSIC_BUCKETS),
        timestampMs: -5,
      }],
    },
    out: `# TYPE hist histogram
hist_bucket{job="j",le="100"} 123 -5
hist_bucket{job="j",le="120"} 412 -5
hist_bucket{job="j",le="144"} 592 -5
hist_bucket{job="j",le="172.8"} 1524 -5
hist_bucket{job="j",le="+Inf"} 2693 -5
hist_sum{job="j"} 1.7560473e+06 -5
hist_count{job="j"} 2693 -5
`,
  },
  {
    name: "float histogram without +Inf",
    in: {
      name: "name",
      help: "doc string",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: [],
        histogram: histogram({ sampleCountFloat: 2693.123, sampleSum: 1756047.3 }, FLOAT_BUCKETS),
      }],
    },
    out: `# HELP name doc string
# TYPE name histogram
name_bucket{le="100"} 123.123
name_bucket{le="120"} 412
name_bucket{le="144"} 592
name_bucket{le="172.8"} 1524
name_bucket{le="+Inf"} 2693.123
name_sum 1.7560473e+06
name_count 2693.123
`,
  },
  {
    name: "gauge histogram renders as histogram",
    in: {
      name: "name",
      help: "doc string",
      type: MetricType.GAUGE_HISTOGRAM,
      metric: [{
        label: [],
        histogram: histogram({ sampleCount: 2693, sampleSum: 1756047.3 }, CLASSIC_BUCKETS),
      }],
    },
    out: `# HELP name doc string
# TYPE name histogram
name_bucket{le="100"} 123
name_bucket{le="120"} 412
name_bucket{le="144"} 592
name_bucket{le="172.8"} 1524
name_bucket{le="+Inf"} 2693
name_sum 1.7560473e+06
name_count 2693
`,
  },
  {
    name: "native-only histogram shows +Inf, sum and count",
    in: {
      name: "native",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: labels(["a", "b"]),
        histogram: {
          ...emptyHistogram(),
          sampleCount: 7,
          sampleSum: 12.5,
          schema: 3,
          zeroThreshold: 1e-128,
          zeroCount: 1,
          positiveSpan: [{ offset: 0, length: 2 }],
          positiveDelta: [3, 0],
        },
      }],
    },
    out: `# TYPE native histogram
native_bucket{a="b",le="+Inf"} 7
native_sum{a="b"} 12.5
native_count{a="b"} 7
`,
  },
  {
    name: "UTF-8 histogram name with suffixes inside the braces",
    in: {
      name: "my.hist",
      type: MetricType.HISTOGRAM,
      metric: [
        {
          label: [],
          histogram: histogram({ sampleCount: 1, sampleSum: 0.5 }, [{
            upperBound: 1,
            cumulativeCount: 1,
          }]),
        },
      ],
    },
    out: `# TYPE "my.hist" histogram
{"my.hist_bucket",le="1"} 1
{"my.hist_bucket",le="+Inf"} 1
{"my.hist_sum"} 0.5
{"my.hist_count"} 1
`,
  },
  {
    name: "empty help is written, -0 and absent values print 0, ':' names stay bare",
    in: {
      name: "a:b",
      help: "",
      type: MetricType.GAUGE,
      metric: [
        { label: labels(["c:d", ""]), gauge: { value: -0 } },
        { label: [], gauge: {} },
        { label: [], gauge: { value: 1e6 }, timestampMs: 1795534477338 },
      ],
    },
    out: `# HELP a:b 
# TYPE a:b gauge
a:b{c:d=""} 0
a:b 0
a:b 1e+06 1795534477338
`,
  },
];

Deno.test("renderFamilyText() matches expfmt MetricFamilyToText", () => {
  for (const s of SCENARIOS) assertEquals(renderFamilyText(s.in), s.out, s.name);
});

Deno.test("renderFamilyText() renders nothing where upstream errors", () => {
  const cases: [string, MetricFamily][] = [
    ["no series", { name: "x", help: "h", type: MetricType.COUNTER, metric: [] }],
    ["no name", { name: "", type: MetricType.GAUGE, metric: [{ label: [], gauge: { value: 1 } }] }],
    ["only series without their value field", {
      name: "x",
      type: MetricType.COUNTER,
      metric: [{ label: [], gauge: { value: 1 } }],
    }],
  ];
  for (const [name, fam] of cases) assertEquals(renderFamilyText(fam), "", name);
});

Deno.test("renderFamilyText() skips series lacking the family's value field", () => {
  const fam: MetricFamily = {
    name: "s",
    type: MetricType.SUMMARY,
    metric: [
      { label: labels(["i", "1"]), gauge: { value: 1 } },
      { label: labels(["i", "2"]), summary: { sampleCount: 1, sampleSum: 2, quantile: [] } },
    ],
  };
  assertEquals(renderFamilyText(fam), '# TYPE s summary\ns_sum{i="2"} 2\ns_count{i="2"} 1\n');
});

Deno.test("renderText() concatenates families and skips empty ones", () => {
  const a: MetricFamily = {
    name: "a",
    type: MetricType.GAUGE,
    metric: [{ label: [], gauge: { value: 1 } }],
  };
  const empty: MetricFamily = { name: "e", type: MetricType.GAUGE, metric: [] };
  const b: MetricFamily = {
    name: "b",
    type: MetricType.COUNTER,
    metric: [{ label: [], counter: { value: 2 } }],
  };
  assertEquals(renderText([a, empty, b]), "# TYPE a gauge\na 1\n# TYPE b counter\nb 2\n");
  assertEquals(renderText([]), "");
});

Deno.test("textFamilyPieces(): head + lines of any split of the series equals renderFamilyText()", () => {
  for (const s of SCENARIOS) {
    const pieces = textFamilyPieces(s.in);
    if (s.out === "") {
      // Nothing renders: no pieces, or series that give no lines.
      assertEquals(pieces === undefined || pieces.series(s.in.metric) === "", true, s.name);
      continue;
    }
    for (let split = 0; split <= s.in.metric.length; split++) {
      const lines = pieces!.series(s.in.metric.slice(0, split)) +
        pieces!.series(s.in.metric.slice(split));
      assertEquals(pieces!.head + lines, s.out, `${s.name} split ${split}`);
    }
  }
  assertEquals(textFamilyPieces({ name: "", type: MetricType.GAUGE, metric: [] }), undefined);
});
