import { assert, assertEquals, assertThrows } from "@std/assert";
import { parseOpenMetrics } from "@lib/expfmt/openmetrics_parse.ts";
import { renderOpenMetrics } from "@lib/expfmt/openmetrics_render.ts";
import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { ParseError } from "@lib/model/parse_error.ts";

const H = emptyHistogram;

Deno.test("parseOpenMetrics() maps counters to x_total with help, unit, exemplars and created", () => {
  const text = '# HELP job_seconds Time \\"spent\\" \\\\ \\n.\n# TYPE job_seconds counter\n' +
    "# UNIT job_seconds seconds\n" +
    'job_seconds_total{a="b"} 3 # {trace_id="x",span="y"} 0.5 1700000000.25\n' +
    'job_seconds_created{a="b"} 1699999999.5\n' +
    "job_seconds_total 4\n# EOF\n";
  assertEquals(parseOpenMetrics(text), [{
    name: "job_seconds_total",
    type: MetricType.COUNTER,
    help: 'Time "spent" \\ \n.',
    unit: "seconds",
    metric: [
      {
        label: [{ name: "a", value: "b" }],
        counter: {
          value: 3,
          exemplar: {
            label: [{ name: "trace_id", value: "x" }, { name: "span", value: "y" }],
            value: 0.5,
            timestamp: { seconds: 1700000000, nanos: 250000000 },
          },
          createdTimestamp: { seconds: 1699999999, nanos: 500000000 },
        },
      },
      { label: [], counter: { value: 4 } },
    ],
  }]);
});

Deno.test("parseOpenMetrics() maps every other type", () => {
  const text = [
    "# TYPE g gauge",
    'g{x="1"} -2.5',
    "# TYPE u unknown",
    "u NaN",
    "plain +Inf",
    "# TYPE s summary",
    's{quantile="0.5",l="v"} 1',
    's{l="v",quantile="1"} 2',
    's_sum{l="v"} 10',
    's_count{l="v"} 4',
    's_created{l="v"} 5',
    "# TYPE h histogram",
    'h_bucket{le="0.5"} 1 # {t="a"} 0.25',
    'h_bucket{le="+Inf"} 3',
    "h_sum 2",
    "h_count 3",
    "# TYPE gh gaugehistogram",
    'gh_bucket{le="-1"} 1',
    'gh_bucket{le="+Inf"} 2',
    "gh_gcount 2",
    "gh_gsum -3",
    "# HELP i Build info.",
    "# TYPE i info",
    'i_info{version="1.2"} 1',
    "# TYPE st stateset",
    'st{st="on"} 1',
    'st{st="off"} 0',
    "# HELP meta Only metadata.",
    "# TYPE meta gauge",
    "# EOF",
  ].join("\n");
  assertEquals(parseOpenMetrics(text), [
    {
      name: "g",
      type: MetricType.GAUGE,
      metric: [{ label: [{ name: "x", value: "1" }], gauge: { value: -2.5 } }],
    },
    { name: "u", type: MetricType.UNTYPED, metric: [{ label: [], untyped: { value: NaN } }] },
    {
      name: "plain",
      type: MetricType.UNTYPED,
      metric: [{ label: [], untyped: { value: Infinity } }],
    },
    {
      name: "s",
      type: MetricType.SUMMARY,
      metric: [{
        label: [{ name: "l", value: "v" }],
        summary: {
          quantile: [{ quantile: 0.5, value: 1 }, { quantile: 1, value: 2 }],
          sampleSum: 10,
          sampleCount: 4,
          createdTimestamp: { seconds: 5, nanos: 0 },
        },
      }],
    },
    {
      name: "h",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: [],
        histogram: {
          ...H(),
          bucket: [
            {
              upperBound: 0.5,
              cumulativeCount: 1,
              exemplar: { label: [{ name: "t", value: "a" }], value: 0.25 },
            },
            { upperBound: Infinity, cumulativeCount: 3 },
          ],
          sampleSum: 2,
          sampleCount: 3,
        },
      }],
    },
    {
      name: "gh",
      type: MetricType.GAUGE_HISTOGRAM,
      metric: [{
        label: [],
        histogram: {
          ...H(),
          bucket: [{ upperBound: -1, cumulativeCount: 1 }, {
            upperBound: Infinity,
            cumulativeCount: 2,
          }],
          sampleCount: 2,
          sampleSum: -3,
        },
      }],
    },
    {
      name: "i_info",
      type: MetricType.GAUGE,
      help: "Build info.",
      metric: [{ label: [{ name: "version", value: "1.2" }], gauge: { value: 1 } }],
    },
    {
      name: "st",
      type: MetricType.GAUGE,
      metric: [
        { label: [{ name: "st", value: "on" }], gauge: { value: 1 } },
        { label: [{ name: "st", value: "off" }], gauge: { value: 0 } },
      ],
    },
  ]);
});

Deno.test("parseOpenMetrics() keeps sample timestamps, one metric per timestamp", () => {
  const [f] = parseOpenMetrics("a 1 1.5\na 2 2\n# EOF");
  assertEquals(f!.metric, [
    { label: [], timestampMs: 1500, untyped: { value: 1 } },
    { label: [], timestampMs: 2000, untyped: { value: 2 } },
  ]);
});

Deno.test("parseOpenMetrics() reads quoted UTF-8 names only with the utf8 scheme", () => {
  const text = '# TYPE "a.b" counter\n{"a.b_total","c.d"="1",e="2"} 1\n{"a.b_total"} 2\n# EOF\n';
  assertEquals(parseOpenMetrics(text, { scheme: "utf8" }), [{
    name: "a.b_total",
    type: MetricType.COUNTER,
    metric: [
      { label: [{ name: "c.d", value: "1" }, { name: "e", value: "2" }], counter: { value: 1 } },
      { label: [], counter: { value: 2 } },
    ],
  }]);
  const e = assertThrows(() => parseOpenMetrics(text), ParseError);
  assertEquals(
    e.message,
    "openmetrics format parsing error in line 1: quoted metric names are only allowed with UTF-8 names enabled",
  );
});

Deno.test("parseOpenMetrics() keeps unknown escapes and drops an empty unit", () => {
  const [f] = parseOpenMetrics('# HELP a x\\ty\\\n# UNIT a \na{l="\\t\\\\"} 1\n# EOF');
  assertEquals(f, {
    name: "a",
    type: MetricType.UNTYPED,
    help: "x\\ty\\",
    metric: [{ label: [{ name: "l", value: "\\t\\" }], untyped: { value: 1 } }],
  });
});

/** Bad inputs, the line and our message. */
const BAD: [string, number, string][] = [
  ["", 1, 'missing "# EOF" at the end'],
  ["a 1\n", 2, 'missing "# EOF" at the end'],
  ["a 1\n# EOF\nb 1\n", 3, 'line after "# EOF"'],
  ["# EOF\n\n", 2, 'line after "# EOF"'],
  ["a 1\n\n# EOF\n", 2, "empty line"],
  ["# comment\n# EOF\n", 1, 'invalid comment line "# comment": only HELP, TYPE, UNIT and EOF'],
  [
    `# ${"x".repeat(100)}\n# EOF\n`,
    1,
    `invalid comment line "# ${"x".repeat(58)}…": only HELP, TYPE, UNIT and EOF`,
  ],
  ["# HELP a\n# EOF\n", 1, 'expected a space after metric name "a", found end of line'],
  ["# TYPE 1a gauge\n# EOF\n", 1, 'invalid metric name "1a"'],
  ["# TYPE a untyped\n# EOF\n", 1, 'unknown metric type "untyped"'],
  ["# TYPE a gauge\n# TYPE a gauge\n# EOF\n", 2, 'second TYPE line for metric name "a"'],
  ["a 1\n# HELP a x\n# EOF\n", 2, 'HELP line for metric name "a" after its samples'],
  ["# UNIT a seconds\n# EOF\n", 1, 'unit "seconds" does not end metric name "a"'],
  ["# TYPE a_s info\n# UNIT a_s s\n# EOF\n", 2, 'info metric "a_s" cannot have a unit'],
  ["a-b 1\n# EOF\n", 1, 'invalid metric name "a-b"'],
  ['a{b="c",} 1\n# EOF\n', 1, `expected a label name after ',' for metric "a", found "}"`],
  ['a{b="c"}1\n# EOF\n', 1, 'expected a space after the labels, found "1"'],
  ["a{b=c} 1\n# EOF\n", 1, `expected '"' at start of label value, found "c"`],
  ['a{b="c} 1\n# EOF\n', 1, "unterminated label value"],
  ['a{b="c",b="d"} 1\n# EOF\n', 1, 'duplicate label names for metric "a"'],
  ['a{__name__="c"} 1\n# EOF\n', 1, 'label name "__name__" is reserved'],
  ["a 1_0\n# EOF\n", 1, 'expected float as value, got "1_0"'],
  ["a 1 \n# EOF\n", 1, "expected a timestamp, found end of line"],
  ["a 1 NaN\n# EOF\n", 1, 'expected a finite float as timestamp, got "NaN"'],
  ["a 1 1 2\n# EOF\n", 1, `expected '#' of an exemplar, found "2"`],
  ["# TYPE c counter\nc 1\n# EOF\n", 2, 'metric name "c" clashes with an earlier family'],
  ["# TYPE c counter\nc_total -1\n# EOF\n", 2, 'negative value for counter-like sample "c_total"'],
  [
    "# TYPE c counter\nc_created 1\n# EOF\n",
    2,
    'counter "c" has a _created sample without its _total sample',
  ],
  ['# TYPE c counter\nc_total 1 # {a="b"} 1 1e20\n# EOF\n', 2, 'invalid exemplar timestamp "1e20"'],
  [
    `# TYPE c counter\nc_total 1 # {a="${"x".repeat(128)}"} 1\n# EOF\n`,
    2,
    "exemplar labels have 129 characters, more than 128",
  ],
  [
    '# TYPE g gauge\ng 1 # {a="b"} 1\n# EOF\n',
    2,
    'exemplar on "g": only counter _total and histogram _bucket samples have exemplars',
  ],
  ["# TYPE c counter\nc_total 1\nc_total 2\n# EOF\n", 3, 'duplicate sample "c_total"'],
  [
    '# TYPE s summary\ns{quantile="0",x="1"} 1\ns{quantile="0",x="2"} 1\ns{quantile="1",x="1"} 2\n# EOF\n',
    4,
    'samples of one series of "s" are not together',
  ],
  ["a 1 1\na 2\n# EOF\n", 2, 'samples with and without timestamp in one series of "a"'],
  ["a 1 2\na 2 1\n# EOF\n", 2, 'timestamps go backwards in one series of "a"'],
  [
    '# TYPE s summary\ns{quantile="2"} 1\n# EOF\n',
    2,
    `'quantile' label "2" is not between 0 and 1`,
  ],
  [
    '# TYPE s summary\ns{quantile="0.5"} -1\n# EOF\n',
    2,
    'negative quantile value for summary sample "s"',
  ],
  ["# TYPE s summary\ns_count 1.5\n# EOF\n", 2, 'non-integer value for count sample "s_count"'],
  ["# TYPE h histogram\nh_bucket 1\n# EOF\n", 2, `missing 'le' label on sample "h_bucket"`],
  [
    '# TYPE h histogram\nh_bucket{le="Inf"} 1\n# EOF\n',
    2,
    `'le' label "Inf" must be written "+Inf"`,
  ],
  ['# TYPE h histogram\nh_bucket{le="1"} 1\n# EOF\n', 2, 'histogram "h" lacks the +Inf bucket'],
  [
    '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\n# EOF\n',
    3,
    'histogram "h" has buckets out of order',
  ],
  [
    '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 2\nh_sum 1\n# EOF\n',
    2,
    'histogram "h" has _count different from its +Inf bucket',
  ],
  [
    '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\n# EOF\n',
    2,
    'histogram "h" has _sum without _count',
  ],
  [
    '# TYPE h gaugehistogram\nh_bucket{le="+Inf"} 1\nh_gcount 1\nh_gsum -1\n# EOF\n',
    2,
    'gaugehistogram "h" has a negative _gsum without negative buckets',
  ],
  ['# TYPE s stateset\ns{a="b"} 1\n# EOF\n', 2, 'stateset sample "s" lacks the label "s"'],
  ["# TYPE i info\ni_info 2\n# EOF\n", 2, 'info sample "i_info" must have the value 1'],
];

Deno.test("parseOpenMetrics() refuses bad input with our message and the line", () => {
  for (const [input, line, message] of BAD) {
    const e = assertThrows(
      () => parseOpenMetrics(input),
      ParseError,
      undefined,
      JSON.stringify(input),
    );
    assertEquals(
      e.message,
      `openmetrics format parsing error in line ${line}: ${message}`,
      JSON.stringify(input),
    );
    assertEquals(e.line, line);
  }
});

Deno.test("parseOpenMetrics() names the line of invalid UTF-8", () => {
  const e = assertThrows(
    () => parseOpenMetrics(new Uint8Array([0x61, 0x20, 0x31, 0x0a, 0x62, 0xff, 0x0a])),
    ParseError,
  );
  assertEquals(e.message, "openmetrics format parsing error in line 2: invalid UTF-8");
});

Deno.test("parseOpenMetrics() reads back what renderOpenMetrics() writes", () => {
  const families: MetricFamily[] = [
    {
      name: "c_seconds_total",
      type: MetricType.COUNTER,
      help: 'a "b" \\ \n',
      unit: "seconds",
      metric: [{
        label: [{ name: "l", value: 'x"\\\n' }],
        counter: {
          value: 2,
          exemplar: {
            label: [{ name: "t", value: "1" }],
            value: 1,
            timestamp: { seconds: 3, nanos: 5 },
          },
        },
      }],
    },
    { name: "g", type: MetricType.GAUGE, metric: [{ label: [], gauge: { value: -0.5 } }] },
    { name: "u", type: MetricType.UNTYPED, metric: [{ label: [], untyped: { value: 1e300 } }] },
    {
      name: "s",
      type: MetricType.SUMMARY,
      metric: [{
        label: [],
        summary: { quantile: [{ quantile: 0.99, value: 5 }], sampleSum: 7, sampleCount: 9 },
      }],
    },
    {
      name: "h",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: [{ name: "a", value: "b" }],
        histogram: {
          ...H(),
          bucket: [
            {
              upperBound: 1,
              cumulativeCount: 1,
              exemplar: { label: [{ name: "t", value: "2" }], value: 0.5 },
            },
            { upperBound: Infinity, cumulativeCount: 2 },
          ],
          sampleSum: 1.5,
          sampleCount: 2,
        },
      }],
    },
  ];
  assertEquals(parseOpenMetrics(renderOpenMetrics(families)), families);
  // Under UTF-8 names, quoted names read back too.
  const utf8: MetricFamily = {
    name: "a.b",
    type: MetricType.GAUGE,
    metric: [{ label: [{ name: "c.d", value: "v" }], gauge: { value: 1 } }],
  };
  assertEquals(parseOpenMetrics(renderOpenMetrics([utf8]), { scheme: "utf8" }), [utf8]);
  assert(renderOpenMetrics([utf8]).startsWith('# TYPE "a.b" gauge\n'));
});

Deno.test("parseOpenMetrics() reads huge lines in linear time", () => {
  // A scan per label or a backtracking number pattern would make these hang.
  const labels = Array.from({ length: 200_000 }, (_, i) => `l${i}="v"`).join(",");
  const [f] = parseOpenMetrics(`a{${labels}} 1\n# EOF\n`);
  assertEquals(f!.metric[0]!.label.length, 200_000);
  const digits = "1".repeat(300_000);
  assertEquals(parseOpenMetrics(`a ${digits}\n# EOF\n`)[0]!.metric[0]!.untyped!.value, Infinity);
  assertThrows(
    () => parseOpenMetrics(`a ${digits}x\n# EOF\n`),
    ParseError,
    "expected float as value",
  );
  assertThrows(() => parseOpenMetrics(`a 1 # {a="b"} 1 ${digits}.5\n# EOF\n`), ParseError);
});
