/**
 * Compared with Debian's 1.5.1 (`tests/helpers/compare.ts`): the text format's
 * rules and parse errors, protobuf and gzip bodies, Content-Types.
 */

import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { emptyHistogram, type MetricFamily, MetricType } from "@lib/model/metric.ts";
import { compareScenarios, proto, put } from "./helpers/compare.ts";
import { gzipStored } from "./known_differences.ts";

const PROTO_COUNTER: MetricFamily = {
  name: "pc",
  help: "proto counter",
  type: MetricType.COUNTER,
  metric: [{ label: [{ name: "l", value: "v" }], counter: { value: 7 } }],
};
const PROTO_HISTOGRAM: MetricFamily = {
  name: "ph",
  help: "",
  type: MetricType.HISTOGRAM,
  metric: [{
    label: [],
    histogram: {
      ...emptyHistogram(),
      sampleCount: 3,
      sampleSum: 2.5,
      bucket: [{ upperBound: 0.5, cumulativeCount: 1 }, { upperBound: 1.5, cumulativeCount: 2 }],
    },
  }],
};
const PROTO_SUMMARY: MetricFamily = {
  name: "ps",
  type: MetricType.SUMMARY,
  metric: [{
    label: [{ name: "x", value: "y" }],
    summary: {
      sampleCount: 4,
      sampleSum: 10,
      quantile: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: 2 }],
    },
  }],
};

const TYPES_BODY = [
  '# HELP g A gauge with "quotes" and \\\\ backslash\\nnewline.',
  "# TYPE g gauge",
  'g{l="x"} 1e-05',
  'g{l="y"} -0',
  'g{l="z"} 1234567',
  "# TYPE c counter",
  "c 3.5",
  "# TYPE h histogram",
  'h_bucket{le="0.5"} 1',
  'h_bucket{le="2.5"} 2',
  'h_bucket{le="+Inf"} 3',
  "h_sum 2.5",
  "h_count 3",
  "# TYPE hn histogram",
  'hn_bucket{le="1.5"} 1',
  "hn_sum 1",
  "hn_count 2",
  "# TYPE s summary",
  's{quantile="0.5"} 1',
  's{quantile="0.99"} 2',
  "s_sum 10",
  "s_count 4",
  "u NaN",
  "v +Inf",
  "w -Inf",
  'esc{l="a\\\\b\\"c\\nd"} 1',
  "",
].join("\n");

compareScenarios("compare: text format rules unchanged since 1.5.1 (docs/upstream.md §4.3)", [], [
  {
    name: "classic types, values and escapes",
    steps: [put("/metrics/job/types", TYPES_BODY)],
    api: true,
  },
  {
    name: 'API map keys that look like integers (le="1", quantile="0") keep Go\'s byte order',
    steps: [
      put(
        "/metrics/job/ik",
        [
          "# TYPE h histogram",
          'h_bucket{le="0.5"} 1',
          'h_bucket{le="1"} 2',
          'h_bucket{le="10"} 3',
          'h_bucket{le="+Inf"} 4',
          "h_sum 2.5",
          "h_count 4",
          "# TYPE s summary",
          's{quantile="0"} 1',
          's{quantile="0.5"} 2',
          's{quantile="1"} 3',
          "s_sum 6",
          "s_count 3",
          "",
        ].join("\n"),
      ),
    ],
    api: true,
  },
  {
    name: "parse errors",
    steps: [
      put("/metrics/job/p", "m 1"),
      put("/metrics/job/p", "m 1\r\n"),
      put("/metrics/job/p", "1m 1\n"),
      put("/metrics/job/p", 'm{__name__="x"} 1\n'),
      put("/metrics/job/p", 'm{a="1",a="2"} 1\n'),
      put("/metrics/job/p", "m 0x10\n"),
      put("/metrics/job/p", "m 1_000\n"),
      put("/metrics/job/p", "m 1e400\n"),
      put("/metrics/job/p", "m 1 abc\n"),
      put("/metrics/job/p", "m 1 2 3\n"),
      put("/metrics/job/p", 'm{a="\\t"} 1\n'),
      put("/metrics/job/p", 'm{a="x} 1\n'),
      put("/metrics/job/p", "m{a=x} 1\n"),
      put("/metrics/job/p", 'm{1a="x"} 1\n'),
      put("/metrics/job/p", "m\n"),
      put("/metrics/job/p", "# HELP m x\n# HELP m y\nm 1\n"),
      put("/metrics/job/p", "# TYPE m gauge\n# TYPE m gauge\nm 1\n"),
      put("/metrics/job/p", "m 1\n# TYPE m gauge\n"),
      put("/metrics/job/p", "# TYPE m foo\nm 1\n"),
      put("/metrics/job/p", "# HELP m a\\tb\nm 1\n"),
      put("/metrics/job/p", "# TYPE\n"),
      put("/metrics/job/p", "# HELP\n"),
      put("/metrics/job/p", '# TYPE h histogram\nh_bucket{le="x"} 1\n'),
      put("/metrics/job/p", '# TYPE s summary\ns{quantile="x"} 1\n'),
      put("/metrics/job/p", "# TYPE h histogram\nh_bucket 1\n"),
      put("/metrics/job/p", 'c_total 1 # {trace_id="x"} 1\n'),
      put("/metrics/job/p", "{} 1\n"),
    ],
  },
  {
    name: "accepted oddities: blank lines, comments, spaces, trailing comma, special floats",
    steps: [
      put(
        "/metrics/job/ok",
        [
          "",
          "# just a comment",
          "#TYPE t gauge",
          "  t 1",
          '\tm{a="b",} 1',
          'm{ b = "c" } 2',
          'm{c=""} 3',
          "n nan",
          "o Inf",
          "p .5",
          "q 5.",
          "r +5",
          "s 1E3",
          "# EOF",
          "",
        ].join("\n"),
      ),
      // OpenMetrics-looking, but text accepts it: stored exactly as upstream stores it (two
      // untyped families). Declared as OpenMetrics it differs (tests/known_differences.ts).
      put("/metrics/job/om", "# TYPE foo counter\nfoo_total 1\nfoo_created 2\n# EOF\n", {
        "content-type": "text/plain; version=0.0.4",
      }),
      put("/metrics/job/empty", "# HELP declared only\n# TYPE declared gauge\n"),
    ],
  },
  {
    name: "HELP and TYPE without samples, families without HELP, HELP-only families",
    steps: [put("/metrics/job/h", "# HELP a help a\na 1\n# TYPE b counter\nb 2\nc 3\n")],
  },
  {
    name: "summary and histogram lines without TYPE are untyped families",
    steps: [put("/metrics/job/u", 'x_count 1\nx_sum 2\nx_bucket{le="1"} 1\ny{quantile="0.5"} 1\n')],
  },
]);

compareScenarios("compare: bodies, gzip, Content-Types (docs/upstream.md §2.3, §4.2)", [], [
  {
    name: "protobuf bodies",
    steps: [
      put("/metrics/job/pb", proto([PROTO_COUNTER, PROTO_HISTOGRAM, PROTO_SUMMARY]), {
        "content-type": PROTO_DELIMITED,
      }),
      put(
        "/metrics/job/pb2",
        proto([{ ...PROTO_COUNTER, name: "pd" }, {
          ...PROTO_COUNTER,
          name: "pd",
          metric: [{ label: [], counter: { value: 1 } }],
        }]),
        {
          "content-type":
            "Application/Vnd.Google.Protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily",
        },
      ),
    ],
    api: true,
  },
  {
    name: "protobuf errors and non-delimited protobuf",
    steps: [
      put("/metrics/job/pe", proto([PROTO_COUNTER]).slice(0, 5), {
        "content-type": PROTO_DELIMITED,
      }),
      put("/metrics/job/pe", proto([PROTO_COUNTER]), {
        "content-type": "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily",
      }),
    ],
  },
  {
    name: "gzip bodies: valid, empty, truncated, garbage; deflate ignored",
    steps: [
      put("/metrics/job/gz", gzipStored("gz 1\n"), { "content-encoding": "gzip" }),
      put("/metrics/job/gz2", "", { "content-encoding": "gzip" }),
      put("/metrics/job/gz2", gzipStored("gz 1\n").slice(0, 17), { "content-encoding": "gzip" }),
      put("/metrics/job/gz2", gzipStored("gz 1\n").slice(0, 5), { "content-encoding": "gzip" }),
      put("/metrics/job/gz2", "not gzip at all", { "content-encoding": "gzip" }),
      put("/metrics/job/df", "df 1\n", { "content-encoding": "deflate" }),
    ],
  },
  {
    name: "unknown Content-Types are parsed as text",
    steps: [
      put("/metrics/job/ct1", "t1 1\n", { "content-type": "application/x-www-form-urlencoded" }),
      put("/metrics/job/ct2", "t2 1\n", { "content-type": "text/plain; version=1.0.0" }),
      put("/metrics/job/ct3", "t3 1\n", { "content-type": "application/json" }),
      put("/metrics/job/ct4", "t4 1\n", { "content-type": "garbage;;;" }),
      put("/metrics/job/ct5", "t5 1\n", { "content-type": "text/plain; version=0.0.4" }),
    ],
  },
]);
