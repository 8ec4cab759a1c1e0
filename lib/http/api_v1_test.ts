/**
 * The JSON API (`/api/v1/…`) in-process, against docs/upstream.md §5 and §7: byte shapes
 * (Go's field and map-key order, Go's escaping, `-0`, RFC 3339 times), CORS
 * headers, the API router's OPTIONS/404/405/301 answers, and admin wipe. The
 * times are asserted for a UTC zone (`deno task test` runs with `TZ=UTC`);
 * `tests/api_time_zone_test.ts` starts a process in another zone.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { PROTO_DELIMITED } from "@lib/expfmt/media_type.ts";
import { emptyHistogram, MetricType } from "@lib/model/metric.ts";
import { encodeDelimited } from "@lib/protobuf/encode.ts";
import { appFromFlags } from "@lib/http/test_app.ts";
import { request } from "@lib/http/test_client.ts";

const CORS: Record<string, string> = {
  "access-control-allow-headers": "Accept, Authorization, Content-Type, Origin",
  "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "Date",
  "cache-control": "no-cache, no-store, must-revalidate",
};

/** Go's RFC 3339 with nanoseconds: no trailing zeros in the fraction, `Z` under UTC. */
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/;

function assertCors(headers: Headers, present: boolean, what: string): void {
  for (const [k, v] of Object.entries(CORS)) {
    assertEquals(headers.get(k), present ? v : null, `${what}: ${k}`);
  }
}

Deno.test("status: exact bytes, sorted flags in kingpin's string forms, RFC 3339 start time", async () => {
  const { app } = appFromFlags([
    "--web.listen-address=127.0.0.1:0",
    "--web.enable-admin-api",
    "--persistence.interval=1d",
    "--web.external-url=http://example.com/ext/",
    "--log.level=DEBUG",
  ]);
  const res = await request(app, "GET", "/ext/api/v1/status");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/json");
  assertCors(res.headers, true, "status");
  const flags = '{"log.format":"logfmt","log.level":"debug","persistence.file":"",' +
    '"persistence.interval":"24h0m0s","push.default-ttl":"0s",' +
    '"push.disable-consistency-check":"false","push.enable-utf8-names":"false",' +
    '"push.max-body-size":"64MiB","push.max-concurrent-body-size":"128MiB",' +
    '"push.max-series-per-push":"100000","storage.max-series":"0",' +
    '"storage.postgres-checkpoint-interval":"5m0s","storage.postgres-password-file":"",' +
    '"storage.postgres-url":"","web.config.file":"",' +
    '"web.enable-admin-api":"true","web.enable-lifecycle":"false",' +
    '"web.enable-openmetrics":"false",' +
    '"web.external-url":"http://example.com/ext/","web.listen-address":"127.0.0.1:0",' +
    '"web.route-prefix":"/ext","web.systemd-socket":"false","web.telemetry-path":"/metrics"}';
  const s = '"[^"\\\\]*"';
  assertMatch(
    res.text,
    new RegExp(
      `^${RegExp.escape('{"status":"success","data":{"build_information":{"branch":')}${s}` +
        `,"buildDate":${s},"buildUser":${s},"goVersion":${s},"revision":${s},"version":${s}` +
        `${RegExp.escape('},"flags":' + flags + ',"start_time":"')}([^"]+)"}}$`,
    ),
  );
  const start = JSON.parse(res.text).data.start_time as string;
  assertMatch(start, RFC3339_UTC);
  assert(Math.abs(Date.parse(start) - Date.now()) < 600_000, start);
});

Deno.test("metrics: exact bytes of a group (field order, Go escaping, -0, numbers as strings)", async () => {
  const { app } = appFromFlags();
  const empty = await request(app, "GET", "/api/v1/metrics");
  assertEquals(empty.text, '{"status":"success","data":[]}');
  assertEquals(empty.headers.get("content-type"), "application/json");
  const body = [
    '# HELP g A <b> & "c" \\\\ \\n.',
    "# TYPE g gauge",
    'g{l="<x>&"} -0',
    'g{l="y"} 1234567',
    "# TYPE h histogram",
    'h_bucket{le="0.5"} 1',
    'h_bucket{le="2.5"} 2',
    'h_bucket{le="+Inf"} 3',
    "h_sum 2.5",
    "h_count 3",
    "# TYPE s summary",
    's{quantile="0.5"} 1',
    's{quantile="0.99"} 2',
    "s_sum 10",
    "s_count 4",
    "# TYPE e summary",
    "e_sum 0",
    "e_count 0",
    "# TYPE c counter",
    "c 1e-05",
    "u NaN",
    "",
  ].join("\n");
  assertEquals((await request(app, "PUT", "/metrics/job/a%3Cb/i/x", body)).status, 200);
  const res = await request(app, "GET", "/api/v1/metrics");
  const ts = "<TS>";
  const text = res.text.replace(/"time_stamp":"([^"]*)"/g, (_all, t: string) => {
    assertMatch(t, RFC3339_UTC);
    return `"time_stamp":"${ts}"`;
  }).replace(
    /("push_time_seconds":.*?"value":")([^"]*)"/,
    (_all, head: string, v: string) => {
      assertMatch(v, /^\d\.\d+e\+09$/);
      return `${head}<PUSHED>"`;
    },
  );
  const labels = '{"i":"x","instance":"","job":"a\\u003cb"}';
  const withL = (l: string) => `{"i":"x","instance":"","job":"a\\u003cb","l":"${l}"}`;
  const family = (type: string, metrics: string, help?: string) =>
    `{"time_stamp":"${ts}","type":"${type}",${
      help === undefined ? "" : `"help":"${help}",`
    }"metrics":[${metrics}]}`;
  const expected = '{"status":"success","data":[{' +
    `"c":${family("COUNTER", `{"labels":${labels},"value":"1e-05"}`)},` +
    `"e":${family("SUMMARY", `{"count":"0","labels":${labels},"quantiles":{},"sum":"0"}`)},` +
    `"g":${
      family(
        "GAUGE",
        `{"labels":${withL("\\u003cx\\u003e\\u0026")},"value":"-0"},` +
          `{"labels":${withL("y")},"value":"1.234567e+06"}`,
        'A \\u003cb\\u003e \\u0026 \\"c\\" \\\\ \\n.',
      )
    },` +
    `"h":${
      family(
        "HISTOGRAM",
        `{"buckets":{"+Inf":"3","0.5":"1","2.5":"2"},"count":"3","labels":${labels},"sum":"2.5"}`,
      )
    },` +
    `"labels":{"i":"x","job":"a\\u003cb"},"last_push_successful":true,` +
    `"push_failure_time_seconds":${
      family(
        "GAUGE",
        `{"labels":${labels},"value":"0"}`,
        "Last Unix time when changing this group in the Pushgateway failed.",
      )
    },` +
    `"push_time_seconds":${
      family(
        "GAUGE",
        `{"labels":${labels},"value":"<PUSHED>"}`,
        "Last Unix time when changing this group in the Pushgateway succeeded.",
      )
    },` +
    `"s":${
      family(
        "SUMMARY",
        `{"count":"4","labels":${labels},"quantiles":{"0.5":"1","0.99":"2"},"sum":"10"}`,
      )
    },` +
    `"u":${family("UNTYPED", `{"labels":${labels},"value":"NaN"}`)}` +
    "}]}";
  assertEquals(text, expected);
});

Deno.test("metrics: map keys that look like integers keep Go's byte order", async () => {
  const { app } = appFromFlags();
  const body = '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="1"} 2\n' +
    'h_bucket{le="10"} 3\nh_bucket{le="+Inf"} 4\nh_sum 1\nh_count 4\n' +
    '# TYPE s summary\ns{quantile="0"} 1\ns{quantile="0.5"} 2\ns{quantile="1"} 3\n' +
    "s_sum 6\ns_count 3\n";
  assertEquals((await request(app, "PUT", "/metrics/job/k", body)).status, 200);
  const text = (await request(app, "GET", "/api/v1/metrics")).text;
  assertMatch(text, /"buckets":\{"\+Inf":"4","0\.5":"1","1":"2","10":"3"\}/);
  assertMatch(text, /"quantiles":\{"0":"1","0\.5":"2","1":"3"\}/);
});

Deno.test("metrics: a failed push shows last_push_successful false", async () => {
  // A clock that moves on every reading, as the gateway's (sub-millisecond) clock does: two pushes
  // in one millisecond of Date.now() would have equal times, which upstream also reads as success.
  let clock = 1_700_000_000_000;
  const { app } = appFromFlags([], { now: () => clock += 1 });
  assertEquals((await request(app, "PUT", "/metrics/job/f", "m 1\n")).status, 200);
  assertEquals((await request(app, "PUT", "/metrics/job/f", "m 1 123\n")).status, 400);
  const data = JSON.parse((await request(app, "GET", "/api/v1/metrics")).text).data;
  assertEquals(data.length, 1);
  assertEquals(data[0].labels, { job: "f" });
  assertEquals(data[0].last_push_successful, false);
  assertEquals(data[0].m.metrics, [{ labels: { instance: "", job: "f" }, value: "1" }]);
});

Deno.test("CORS headers on every API handler's answer, not on router errors", async () => {
  const { app } = appFromFlags();
  for (const [method, path] of [["GET", "/api/v1/status"], ["GET", "/api/v1/metrics"]]) {
    assertCors((await request(app, method!, path!)).headers, true, path!);
  }
  for (const path of ["/api/v1/status", "/api/v1/anything/at/all", "/api/v1/", "/api/v1/x/"]) {
    const res = await request(app, "OPTIONS", path);
    assertEquals([res.status, res.text], [200, ""], path);
    assertCors(res.headers, true, `OPTIONS ${path}`);
  }
  const notAllowed = await request(app, "POST", "/api/v1/status");
  assertEquals([notAllowed.status, notAllowed.text], [405, "Method Not Allowed\n"]);
  assertEquals(notAllowed.headers.get("allow"), "GET, OPTIONS");
  assertCors(notAllowed.headers, false, "405");
  const del = await request(app, "DELETE", "/api/v1/metrics");
  assertEquals([del.status, del.headers.get("allow")], [405, "GET, OPTIONS"]);
  const unknown = await request(app, "GET", "/api/v1/nope");
  assertEquals([unknown.status, unknown.text], [404, "404 page not found\n"]);
  assertCors(unknown.headers, false, "404");
  const bare = await request(app, "GET", "/api/v1");
  assertEquals([bare.status, bare.headers.get("location")], [301, "/api/v1/"]);
  const root = await request(app, "GET", "/api/v1/");
  assertEquals(root.status, 404);
  const slash = await request(app, "GET", "/api/v1/status/");
  assertEquals([slash.status, slash.headers.get("location")], [301, "/status"]);
});

Deno.test("admin wipe: 202 without CORS, every group gone", async () => {
  const { app } = appFromFlags(["--web.enable-admin-api"]);
  await request(app, "PUT", "/metrics/job/a", "m 1\n");
  await request(app, "PUT", "/metrics/job/b/x/y", "n 2\n");
  const wipe = await request(app, "PUT", "/api/v1/admin/wipe");
  assertEquals([wipe.status, wipe.text], [202, ""]);
  assertCors(wipe.headers, false, "wipe");
  assertEquals(
    (await request(app, "GET", "/api/v1/metrics")).text,
    '{"status":"success","data":[]}',
  );
  const scrape = (await request(app, "GET", "/metrics")).text;
  assert(!scrape.includes('job="a"') && !scrape.includes('job="b"'), scrape);
  const get = await request(app, "GET", "/api/v1/admin/wipe");
  assertEquals([get.status, get.headers.get("allow")], [405, "OPTIONS, PUT"]);
  const options = await request(app, "OPTIONS", "/api/v1/admin/wipe");
  assertEquals(options.status, 200);
  assertCors(options.headers, true, "OPTIONS wipe");
  // The store still works after a wipe.
  assertEquals((await request(app, "PUT", "/metrics/job/c", "m 1\n")).status, 200);
  assertEquals(JSON.parse((await request(app, "GET", "/api/v1/metrics")).text).data.length, 1);
});

Deno.test("admin wipe is a 404 when the admin API is disabled", async () => {
  const { app } = appFromFlags();
  await request(app, "PUT", "/metrics/job/a", "m 1\n");
  const wipe = await request(app, "PUT", "/api/v1/admin/wipe");
  assertEquals([wipe.status, wipe.text], [404, "404 page not found\n"]);
  assertEquals(JSON.parse((await request(app, "GET", "/api/v1/metrics")).text).data.length, 1);
});

Deno.test("a native histogram whose spans claim 2^31 buckets does not hang the API or the UI", async () => {
  const { app } = appFromFlags();
  const body = encodeDelimited([{
    name: "nh",
    type: MetricType.HISTOGRAM,
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 1,
        sampleSum: 1,
        schema: 0,
        zeroThreshold: 0.001,
        positiveSpan: [{ offset: 0, length: 2 ** 31 }],
        positiveDelta: [1],
      },
    }],
  }]);
  const push = await request(app, "PUT", "/metrics/job/nh", new Uint8Array(body), {
    "content-type": PROTO_DELIMITED,
  });
  assertEquals([push.status, push.text], [200, ""]);
  const api = await request(app, "GET", "/api/v1/metrics");
  assertEquals(api.status, 200);
  const nh = JSON.parse(api.text).data[0].nh.metrics[0];
  assertEquals(nh.buckets, [[0, "0.5", "1", "1"]]);
  const ui = await request(app, "GET", "/");
  assertEquals(ui.status, 200);
  assertEquals((await request(app, "GET", "/-/healthy")).status, 200);
});

Deno.test(
  "native histogram bounds are upstream's in the API and the UI (pushgateway api_test.go)",
  async () => {
    const { app } = appFromFlags();
    // The int and float native histograms of upstream's api/v1/api_test.go.
    const spans = [{ offset: 0, length: 2 }, { offset: 0, length: 2 }];
    const native = {
      ...emptyHistogram(),
      sampleSum: 99.23,
      schema: 1,
      positiveSpan: spans,
      negativeSpan: spans,
    };
    const body = encodeDelimited([{
      name: "mfh",
      type: MetricType.HISTOGRAM,
      metric: [{
        label: [{ name: "testing", value: "int native histogram" }],
        histogram: {
          ...native,
          sampleCount: 20,
          negativeDelta: [0, 2, -2, 0],
          positiveDelta: [0, 2, -2, 0],
        },
      }, {
        label: [{ name: "testing", value: "float native histogram" }],
        histogram: {
          ...native,
          sampleCountFloat: 20,
          negativeCount: [2, 2, -2, 0],
          positiveCount: [2, 2, -2, 0],
        },
      }],
    }]);
    const push = await request(app, "PUT", "/metrics/job/nh", new Uint8Array(body), {
      "content-type": PROTO_DELIMITED,
    });
    assertEquals([push.status, push.text], [200, ""]);
    const api = await request(app, "GET", "/api/v1/metrics");
    assertEquals(api.status, 200);
    const metrics = JSON.parse(api.text).data[0].mfh.metrics;
    const byLabel = (v: string) =>
      metrics.find((m: { labels: { testing: string } }) => m.labels.testing === v);
    assertEquals(byLabel("int native histogram").buckets, [
      [1, "-1.414213562373095", "-1", "2"],
      [0, "1", "1.414213562373095", "2"],
    ]);
    assertEquals(byLabel("float native histogram").buckets, [
      [1, "-2", "-1.414213562373095", "-2"],
      [1, "-1.414213562373095", "-1", "2"],
      [1, "-1", "-0.7071067811865475", "2"],
      [0, "0.7071067811865475", "1", "2"],
      [0, "1", "1.414213562373095", "2"],
      [0, "1.414213562373095", "2", "-2"],
    ]);
    // The UI lists the same buckets from the same computation.
    const ui = await request(app, "GET", "/");
    assertEquals(ui.status, 200);
    assert(ui.text.includes("Bucket [-1.414213562373095, -1)"), "UI shows upstream's bound");
    assert(ui.text.includes("Bucket (0.7071067811865475, 1]"), "UI shows upstream's bound");
    assert(!ui.text.includes("1.4142135623730951"), "UI has no Math.pow bound");
  },
);

const OM_CT = { "content-type": "application/openmetrics-text; version=1.0.0; charset=utf-8" };

Deno.test("metrics: units, exemplars and created timestamps as new fields (exact bytes)", async () => {
  const { app } = appFromFlags();
  const body = [
    "# TYPE d_seconds histogram",
    "# UNIT d_seconds seconds",
    "# HELP d_seconds Duration.",
    'd_seconds_bucket{le="0.1"} 0',
    'd_seconds_bucket{le="1"} 1 # {trace_id="a<b"} 0.5 1796605437.912',
    'd_seconds_bucket{le="+Inf"} 2 # {trace_id="c"} 3',
    "d_seconds_sum 3.5",
    "d_seconds_count 2",
    "d_seconds_created 1796605000.25",
    "# TYPE req counter",
    'req_total{code="200"} 2 # {trace_id="abc",span_id="1"} 2 1796605437.911',
    'req_created{code="200"} 1796605000',
    "# TYPE s summary",
    "s_sum 1",
    "s_count 1",
    "s_created 1796605001.5",
    "# TYPE g gauge",
    "g 1",
    "# EOF",
    "",
  ].join("\n");
  const put = await request(app, "PUT", "/metrics/job/om", body, OM_CT);
  assertEquals([put.status, put.text], [200, ""]);
  const raw = (await request(app, "GET", "/api/v1/metrics")).text
    .replace(/"time_stamp":"[^"]*"/g, '"time_stamp":"<TS>"');
  const data = JSON.parse(raw).data[0];
  const text = (name: string) => JSON.stringify(data[name].metrics);
  const labels = '{"instance":"","job":"om"}';
  // Exact bytes: Go's escaping and map order apply to the new fields as to the others.
  assertStringIncludes(
    raw,
    '"d_seconds":{"time_stamp":"<TS>","type":"HISTOGRAM","help":"Duration.","unit":"seconds",' +
      '"metrics":[{"buckets":{"+Inf":"2","0.1":"0","1":"1"},"count":"2",' +
      '"created":"2026-12-07T00:56:40.25Z","exemplars":[{"labels":{"trace_id":"a\\u003cb"},' +
      '"le":"1","timestamp":"2026-12-07T01:03:57.912Z","value":"0.5"},' +
      '{"labels":{"trace_id":"c"},"le":"+Inf","value":"3"}],' +
      `"labels":${labels},"sum":"3.5"}]}`,
  );
  assertEquals(
    text("req_total"),
    '[{"created":"2026-12-07T00:56:40Z","exemplar":{"labels":{"span_id":"1","trace_id":"abc"},' +
      '"timestamp":"2026-12-07T01:03:57.911Z","value":"2"},' +
      '"labels":{"code":"200","instance":"","job":"om"},"value":"2"}]',
  );
  assertEquals(
    text("s"),
    `[{"count":"1","created":"2026-12-07T00:56:41.5Z","labels":${labels},"quantiles":{},"sum":"1"}]`,
  );
  // Families and series without them keep upstream's fields only.
  assertEquals(text("g"), `[{"labels":${labels},"value":"1"}]`);
  assertEquals(Object.keys(data.g), ["time_stamp", "type", "metrics"]);
});

Deno.test("metrics: exemplars and created timestamps pushed in protobuf (native ones too)", async () => {
  const { app } = appFromFlags();
  const exemplar = (v: string, value: number) => ({
    label: [{ name: "trace_id", value: v }],
    value,
    timestamp: { seconds: 1796605437, nanos: 123 },
  });
  const body = encodeDelimited([{
    name: "c_total",
    type: MetricType.COUNTER,
    metric: [{ label: [], counter: { value: 1, exemplar: { label: [], value: 1 } } }],
  }, {
    name: "nh",
    type: MetricType.HISTOGRAM,
    metric: [{
      label: [],
      histogram: {
        ...emptyHistogram(),
        sampleCount: 1,
        sampleSum: 1,
        schema: 0,
        zeroThreshold: 0.001,
        positiveSpan: [{ offset: 0, length: 1 }],
        positiveDelta: [1],
        createdTimestamp: { seconds: 1796605000, nanos: 1 },
        exemplars: [exemplar("n1", 0.75)],
      },
    }],
  }]);
  const push = await request(app, "PUT", "/metrics/job/pb", new Uint8Array(body), {
    "content-type": PROTO_DELIMITED,
  });
  assertEquals([push.status, push.text], [200, ""]);
  const data = JSON.parse((await request(app, "GET", "/api/v1/metrics")).text).data[0];
  assertEquals(data.c_total.metrics[0].exemplar, { labels: {}, value: "1" });
  assertEquals(data.nh.metrics[0].created, "2026-12-07T00:56:40.000000001Z");
  assertEquals(data.nh.metrics[0].exemplars, [
    { labels: { trace_id: "n1" }, timestamp: "2026-12-07T01:03:57.000000123Z", value: "0.75" },
  ]);
  assertEquals(data.nh.metrics[0].buckets, [[0, "0.5", "1", "1"]]);
});
