/**
 * Compared with Debian's 1.5.1 (`tests/helpers/compare.ts`): PUT, POST and
 * DELETE semantics and the consistency check, with and without
 * `--push.disable-consistency-check`.
 */

import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { MetricType } from "@lib/model/metric.ts";
import { compareScenarios, del, post, proto, put } from "./helpers/compare.ts";

compareScenarios("compare: PUT, POST, DELETE semantics (docs/upstream.md §4.4, §5)", [], [
  {
    name: "PUT replaces, POST replaces by family name, DELETE answers 202",
    steps: [
      put("/metrics/job/j", "a 1\nb 2\n"),
      post("/metrics/job/j", "b 3\nc 4\n"),
      put("/metrics/job/k/i/1", "a 5\n"),
    ],
    api: true,
  },
  {
    name: "PUT replaces the whole group",
    steps: [put("/metrics/job/j", "a 1\nb 2\n"), put("/metrics/job/j", "c 5\n")],
    api: true,
  },
  {
    name: "DELETE: exact grouping key only, with a body, and of a missing group",
    steps: [
      put("/metrics/job/d", "a 1\n"),
      put("/metrics/job/d/instance/i", "a 2\n"),
      del("/metrics/job/d", "ignored body"),
      del("/metrics/job/never"),
      del("/metrics/job@base64/bmV2ZXI/x@base64/="),
    ],
  },
  {
    name: "empty bodies: PUT keeps the group, POST only bumps the push time, new groups",
    steps: [
      put("/metrics/job/e", "a 1\n"),
      post("/metrics/job/e", ""),
      put("/metrics/job/f", "a 1\n"),
      put("/metrics/job/f", ""),
      put("/metrics/job/g", ""),
      post("/metrics/job/h", ""),
    ],
    api: true,
  },
  {
    name: "timestamps are rejected and create a failed group",
    steps: [
      put("/metrics/job/ts", "m 1 1234\n"),
      put("/metrics/job/ok", "m 1\n"),
      post("/metrics/job/ok", "n 2 -5\n"),
    ],
    api: true,
  },
  {
    name: "body labels are overwritten by grouping labels; own instance kept",
    steps: [
      put("/metrics/job/ov/a/url", 'm{a="body",job="body2",b="x"} 1\n'),
      put("/metrics/job/ov2", 'm2{instance="body"} 1\n'),
      put("/metrics/job/ov3/instance/url", 'm3{instance="body"} 1\n'),
    ],
    api: true,
  },
  {
    name: "a pushed push_time_seconds is overridden",
    steps: [
      put("/metrics/job/p", "push_time_seconds 5\n"),
      put("/metrics/job/p2", "# TYPE push_time_seconds counter\npush_time_seconds 5\n"),
    ],
  },
]);

compareScenarios("compare: the consistency check (docs/upstream.md §4.5)", [], [
  {
    name: "type clash across groups",
    steps: [
      put("/metrics/job/a", "# TYPE same gauge\nsame 1\n"),
      put("/metrics/job/b", "# TYPE same counter\nsame 1\n"),
      put("/metrics/job/c", "same 1\n"),
      put("/metrics/job/a", "# TYPE same counter\nsame 1\n"),
    ],
  },
  {
    name: "duplicate series within one push and across groups",
    steps: [
      put("/metrics/job/a", "d 1\nd 2\n"),
      put("/metrics/job/x", 'd{instance="i"} 1\n'),
      put("/metrics/job/x/instance/i", "d 2\n"),
      put("/metrics/job/x", 'd{instance="i"} 3\n'),
    ],
  },
  {
    name: "summary and histogram suffix collisions",
    steps: [
      put("/metrics/job/a", '# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1\ns_count 1\n'),
      put("/metrics/job/b", "s_count 1\n"),
      put("/metrics/job/b", "s_sum 1\n"),
      put("/metrics/job/b", "s_bucket 1\n"),
      put("/metrics/job/c", '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
      put("/metrics/job/d", "h_bucket 1\n"),
      put("/metrics/job/e", "k_count 1\n"),
      put("/metrics/job/f", '# TYPE k summary\nk{quantile="0.5"} 1\nk_sum 1\nk_count 1\n'),
    ],
  },
  {
    name: "a histogram pushed where its _bucket family exists",
    steps: [
      put("/metrics/job/e", "hb_bucket 1\n"),
      put("/metrics/job/f", '# TYPE hb histogram\nhb_bucket{le="+Inf"} 1\nhb_sum 1\nhb_count 1\n'),
    ],
  },
  {
    name: "several errors at once",
    steps: [
      put("/metrics/job/a", "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE z gauge\nz 1\n"),
      put("/metrics/job/b", "# TYPE x counter\nx 1\n# TYPE y counter\ny 1\nz 1\n"),
      // A repeated series ends the parse (known difference "repeated-series-first-error"),
      // so the repeat comes last here.
      put("/metrics/job/c", "# TYPE y counter\ny 1\nd 1\nd 2\n"),
    ],
  },
  {
    name: "own families: pushgateway_build_info with another type",
    steps: [
      put(
        "/metrics/job/bi",
        "# TYPE pushgateway_build_info counter\npushgateway_build_info 1\n",
      ),
    ],
  },
  {
    name: "HELP conflicts are tolerated",
    steps: [
      put("/metrics/job/a", "# HELP hc one\nhc 1\n"),
      put("/metrics/job/b", "# HELP hc two\nhc 2\n"),
    ],
    // Upstream picks the winning HELP in Go map order: the scrape is not comparable.
    scrape: false,
  },
  {
    name: "an explicit quantile label on a summary (protobuf)",
    steps: [
      put(
        "/metrics/job/q",
        proto([{
          name: "sq",
          type: MetricType.SUMMARY,
          metric: [{
            label: [{ name: "quantile", value: "x" }],
            summary: { sampleCount: 1, sampleSum: 1, quantile: [] },
          }],
        }]),
        { "content-type": PROTO_DELIMITED },
      ),
    ],
  },
]);

compareScenarios(
  "compare: --push.disable-consistency-check answers 202 (docs/upstream.md §4.1)",
  ["--push.disable-consistency-check"],
  [
    {
      name: "pushes, a timestamped push and deletes all answer 202",
      steps: [
        put("/metrics/job/a", "m 1\n"),
        post("/metrics/job/a", "n 1\n"),
        put("/metrics/job/ts", "m 1 1234\n"),
        put("/metrics/job/bad", "m 1"),
        put("/metrics/job/bad/__x/y", "m 1\n"),
        del("/metrics/job/nothing"),
      ],
      api: true,
    },
  ],
);
