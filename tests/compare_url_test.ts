/**
 * Compared with Debian's 1.5.1 (`tests/helpers/compare.ts`): the push URL
 * grammar and its error texts, the router's redirects and error answers, and
 * the route prefix from `--web.external-url`, `--web.route-prefix` and
 * `--web.telemetry-path`.
 */

import { compareScenarios, del, get, post, put } from "./helpers/compare.ts";

compareScenarios("compare: push URL grammar and its error texts (docs/upstream.md §3)", [], [
  {
    name: "base64 job and values, `=` for empty, padding optional",
    steps: [
      put("/metrics/job@base64/L3Zhci90bXA/p@base64/=", "m1 1\n"),
      put("/metrics/job/j/p@base64/L3Zhci90bXA=", "m2 1\n"),
      put("/metrics/job/j2/p@base64/L3Zhci90bXA", "m3 1\n"),
      put("/metrics/job/j3/p@base64/==", "m4 1\n"),
      put("/metrics/job@base64/ajQ=/q@base64/w7xiZXI", "m5 1\n"),
    ],
  },
  {
    name: "bad base64 alphabet in a value and in the job",
    steps: [
      put("/metrics/job/j/x@base64/a+b", "m 1\n"),
      put("/metrics/job/j/x@base64/a/b", "m 1\n"),
      put("/metrics/job/j/x@base64/a=b", "m 1\n"),
      put("/metrics/job/j/x@base64/Y", "m 1\n"),
    ],
  },
  {
    name: "odd components, %2F, %20 and UTF-8 percent-encodings, literal +",
    steps: [
      put("/metrics/job/j/a", "m 1\n"),
      put("/metrics/job/j/a/b/c", "m 1\n"),
      put("/metrics/job/j/lab/a%2Fb", "m 1\n"),
      put("/metrics/job/j%2Fk", "m 1\n"),
      put("/metrics/job/j/sp/a%20b", "m 1\n"),
      put("/metrics/job/j/u/%C3%BCber", "m2 1\n"),
      put("/metrics/job/plus/lbl/a+b", "m3 1\n"),
    ],
  },
  {
    name: "`//` is a 301 for every method; trailing slash accepted",
    steps: [
      put("/metrics/job/ts//x/y", "m 1\n"),
      post("/metrics/job/ts//x/y", "m 1\n"),
      del("/metrics/job/ts//x/y"),
      put("/metrics/job/a/b//", "m 1\n"),
      put("/metrics/job/t/", "m4 1\n"),
      put("/metrics/job/t/foo/", "m5 1\n"),
    ],
  },
  {
    name: "repeated label names (last wins), job override, label order identity",
    steps: [
      put("/metrics/job/r/a/1/a/2", "m1 1\n"),
      put("/metrics/job/x/job/other", "m2 1\n"),
      put("/metrics/job/o/b/2/a/1", "m3 1\n"),
      put("/metrics/job/o/a/1/b/2", "m4 1\n"),
    ],
  },
  {
    name: "improper label names: __ prefix (also via @base64), digits, dashes; U__ literal",
    steps: [
      put("/metrics/job/j/__x/1", "m 1\n"),
      put("/metrics/job/j/__x@base64/MQ", "m 1\n"),
      put("/metrics/job/j/1a/x", "m 1\n"),
      put("/metrics/job/j/a-b/x", "m 1\n"),
      put("/metrics/job/j/a.b/x", "m 1\n"),
      put("/metrics/job/j/U__foo_2e_bar/x", "m 1\n"),
    ],
  },
  {
    name: "empty job: required, checked after the labels",
    steps: [
      put("/metrics/job@base64/=", "m 1\n"),
      put("/metrics/job@base64/==", "m 1\n"),
      put("/metrics/job@base64/=/1a/x", "m 1\n"),
      put("/metrics/job@base64/=/a", "m 1\n"),
      del("/metrics/job@base64/="),
      del("/metrics/job/j/__a/b"),
    ],
  },
  {
    name: "push routes: no job, trailing slashes, wrong case",
    steps: [
      put("/metrics/job/", "m 1\n"),
      put("/metrics/job", "m 1\n"),
      put("/metrics", "m 1\n"),
      post("/metrics/", "m 1\n"),
      put("/METRICS/job/x", "m 1\n"),
      del("/metrics/job/"),
    ],
  },
  {
    name: "PUT /metrics/job@base64/ (no job) is a 404",
    steps: [put("/metrics/job@base64/", "m 1\n")],
  },
]);

// 1.5.1 then hangs every later PUT to /metrics/job@base64/:job (known difference
// "no-deadlock-after-bad-base64-job"), so this runs on a pair of its own, last.
compareScenarios("compare: bad base64 job (docs/upstream.md §3)", [], [
  {
    name: "invalid base64 encoding in job name",
    steps: [
      put("/metrics/job@base64/a+b/x/y", "m 1\n"),
      post("/metrics/job@base64/a+b", "m 1\n"),
      del("/metrics/job@base64/a+b"),
    ],
  },
]);

compareScenarios("compare: router 301/307/404/405, HEAD, OPTIONS (docs/upstream.md §2.2)", [], [
  {
    name: "wrong methods, HEAD, OPTIONS and unknown paths",
    steps: [
      { method: "HEAD", path: "/metrics" },
      { method: "HEAD", path: "/-/healthy" },
      { method: "OPTIONS", path: "/metrics" },
      { method: "OPTIONS", path: "/metrics/job/x" },
      { method: "OPTIONS", path: "/metrics/job/x/a/b" },
      { method: "OPTIONS", path: "/nope" },
      get("/metrics/job/x"),
      { method: "PATCH", path: "/metrics/job/x", body: "m 1\n" },
      { method: "POST", path: "/-/healthy" },
      { method: "DELETE", path: "/metrics" },
      get("/nope"),
      get("/metrics/job"),
      { method: "OPTIONS", path: "/-/quit" },
    ],
  },
  {
    name: "trailing-slash and case redirects keep the query",
    steps: [
      get("/metrics/"),
      get("/metrics/?a=b"),
      get("/-/healthy/"),
      get("/METRICS"),
      get("/-/HEALTHY?x=1"),
      { method: "POST", path: "/METRICS/job/x", body: "m 1\n" },
    ],
  },
  {
    name: "case-insensitive redirect with a trailing slash",
    steps: [get("/Metrics/")],
  },
  {
    name: "ServeMux path cleaning: `//` and a trailing `/.` (raw paths)",
    steps: [
      { method: "GET", path: "//metrics", raw: true },
      { method: "GET", path: "/metrics/.", raw: true },
      { method: "PUT", path: "/metrics//job/x", body: "m 1\n", raw: true },
    ],
  },
  {
    name: "ServeMux path cleaning: `.` and `..` segments are a 301 for every method (raw paths)",
    steps: [
      { method: "GET", path: "/./metrics", raw: true },
      { method: "GET", path: "/x/../metrics", raw: true },
      { method: "PUT", path: "/metrics/job/a/../b", body: "m 1\n", raw: true },
      { method: "GET", path: "/api/v1/../v1/status", raw: true, statusOnly: true },
      { method: "GET", path: "/a/%2e%2e/metrics", raw: true },
    ],
  },
]);

compareScenarios(
  "compare: --web.external-url with a path sets the route prefix (docs/upstream.md §2.1)",
  ["--web.external-url=http://example.com/ext/"],
  [
    {
      name: "prefixed routes work, unprefixed ones 404, /ext redirects",
      steps: [
        put("/ext/metrics/job/x", "m 1\n"),
        get("/ext/metrics"),
        get("/ext/-/healthy"),
        get("/ext/-/ready"),
        { ...get("/ext/api/v1/status"), statusOnly: true },
        { ...get("/ext/"), statusOnly: true },
        get("/ext"),
        get("/"),
        get("/metrics"),
        get("/-/healthy"),
        get("/api/v1/status"),
        put("/metrics/job/x", "m 1\n"),
        get("/-/quit"),
        get("/ext/-/quit"),
        put("/ext/-/quit"),
        get("/ext/api/v1"),
      ],
      scrape: false,
    },
  ],
  "/ext",
);

compareScenarios(
  "compare: --web.route-prefix and --web.telemetry-path",
  ["--web.route-prefix=/pfx/", "--web.telemetry-path=/scrape"],
  [
    {
      name: "prefix and telemetry path",
      steps: [
        put("/pfx/metrics/job/x", "m 1\n"),
        get("/pfx/scrape"),
        get("/pfx/metrics"),
        get("/scrape"),
        get("/pfx/scrape/"),
        get("/pfx"),
        get("/pfx/-/healthy"),
        { ...get("/pfx/api/v1/status"), statusOnly: true },
      ],
      scrape: false,
    },
  ],
  "/pfx",
);
