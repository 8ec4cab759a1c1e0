/**
 * Compared with Debian's 1.5.1 (`tests/helpers/compare.ts`): `/metrics`
 * merging, ordering and negotiation.
 */

import { compareScenarios, get, put } from "./helpers/compare.ts";

compareScenarios("compare: /metrics merging, order, negotiation (docs/upstream.md §6)", [], [
  {
    name: "families merged across groups and sorted with the gateway's own",
    steps: [
      put("/metrics/job/x", "a 1\nz 1\nputs 1\n"),
      put("/metrics/job@base64/YjY0/foo@base64/=", "a 2\n"),
      put("/metrics/job/b/i/9", 'a{q="1"} 3\n'),
      put("/metrics/job/c", 'a{aa="z"} 4\n'),
      put("/metrics/job/c/x/y", "# HELP a help\n# TYPE a untyped\na 5\n"),
    ],
    scrape: false,
  },
  {
    name: "merged order, compared without the HELP line",
    steps: [
      put("/metrics/job/x", "a 1\nz 1\nputs 1\n"),
      put("/metrics/job@base64/YjY0/foo@base64/=", "a 2\n"),
      put("/metrics/job/b/i/9", 'a{q="1"} 3\n'),
      put("/metrics/job/c", 'a{aa="z"} 4\n'),
    ],
  },
  {
    name: "Accept: OpenMetrics gets text 0.0.4; Accept-Encoding gzip",
    steps: [
      put("/metrics/job/n", "# TYPE g gauge\ng 1.5\n"),
      get("/metrics", {
        accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
      }),
      { ...get("/metrics", { "accept-encoding": "gzip" }), statusOnly: true },
      get("/metrics", { accept: "text/plain;version=1.0.0" }),
    ],
  },
]);
